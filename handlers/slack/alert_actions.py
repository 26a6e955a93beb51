"""The alert's buttons and modals: Reply to customer, Assign to me, Mark contacted, Snooze…, Resolve.

Each acks at once and works after. Assign / contacted / resolve / snooze are claimed per ticket,
button, person and alert state, so a double click changes nothing twice; each redraws the alert.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import translator
from bot.services.alerts import alert_view
from bot.services.staff_actions import AlertAction, act_on_alert, reply_from_alert, snooze_from_alert
from handlers.slack.alerts import AlertPoster
from handlers.slack.args import clean_input
from handlers.slack.blocks import alert as blocks
from handlers.slack.blocks.common import display_name
from handlers.slack.deps import SlackDeps, actor
from handlers.slack.replies import answering

SNOOZE_DAYS = 7
"""The Snooze… date picker starts a week ahead."""
_BUTTON_ACTIONS: dict[str, AlertAction] = {
    blocks.ASSIGN: "assign",
    blocks.CONTACTED: "contacted",
    blocks.RESOLVE: "resolve",
}


class AlertActions:
    def __init__(self, deps: SlackDeps, poster: AlertPoster) -> None:
        self.deps = deps
        self.poster = poster

    # --- buttons -----------------------------------------------------------------------
    async def button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        name = str(action["action_id"])
        if name in _BUTTON_ACTIONS:
            self.deps.background.spawn(self._act(body, action, respond, client), name=name)
        else:
            self.deps.background.spawn(
                self._open_modal(body, action, respond, client), name=name, urgent=True
            )

    async def _act(
        self, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        person, t = await self.deps.person(client, str(body["user"]["id"]))
        ticket_id, revision = blocks.parse_value(str(action["value"]))
        kind = _BUTTON_ACTIONS[str(action["action_id"])]

        async def run() -> None:
            staff = await self.deps.staff(person)
            assert staff.id is not None
            ctx = self.deps.ctx
            done = await ctx.call(
                act_on_alert,
                ctx.clock,
                key=f"alert:{ticket_id}:{kind}:{person.user_id}:{revision}",
                ticket_id=ticket_id,
                action=kind,
                staff_id=staff.id,
                actor=actor(person.user_id),
            )
            if done and kind != "resolve":  # resolving publishes TicketResolved, which redraws
                await self.poster.show(ticket_id)

        await answering(_ephemeral(respond), t, run(), what=f"alert {kind}")

    async def _open_modal(
        self, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        _, t = await self.deps.person(client, str(body["user"]["id"]))
        ticket_id, _ = blocks.parse_value(str(action["value"]))
        ctx = self.deps.ctx

        async def run() -> None:
            view = await ctx.call(alert_view, ticket_id)
            meta = blocks.metadata(
                ticket=ticket_id,
                channel=body.get("channel", {}).get("id"),
                ts=body.get("message", {}).get("ts"),
            )
            if action["action_id"] == blocks.SNOOZE:
                today = ctx.clock.now().astimezone(ctx.settings.tz).date()
                modal = blocks.snooze_modal(t, view, today + timedelta(days=SNOOZE_DAYS), meta)
            elif not view.reachable:
                name = display_name(view.customer.name, view.customer.external_id)
                await respond(text=t.format("slack.reply.unreachable", name=name), response_type="ephemeral")
                return
            else:
                language = view.customer.language or ctx.settings.default_language
                first_line = translator(language).format(
                    "staff.reply_prefix", business=ctx.settings.business_name
                )
                modal = blocks.reply_modal(t, view, first_line, meta)
            await client.views_open(trigger_id=body["trigger_id"], view=modal)

        await answering(_ephemeral(respond), t, run(), what=f"alert {action['action_id']}")

    # --- modals --------------------------------------------------------------------------
    async def reply_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = str(body["user"]["id"])
        text = clean_input(view["state"]["values"]["reply"]["text"].get("value") or "")
        if not text:
            t = self.deps.known_t(user_id)
            await ack(response_action="errors", errors={"reply": t.format("slack.reply.empty")})
            return
        await ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        self.deps.background.spawn(
            self._send_reply(client, user_id, meta, text, str(view["id"])), name="reply"
        )

    async def _send_reply(
        self, client: AsyncWebClient, user_id: str, meta: dict[str, Any], text: str, view_id: str
    ) -> None:
        person, t = await self.deps.person(client, user_id)
        ctx = self.deps.ctx

        async def run() -> None:
            staff = await self.deps.staff(person)
            alert = await ctx.call(alert_view, int(meta["ticket"]))
            assert staff.id is not None and alert.customer.id is not None
            sent = await ctx.call(
                reply_from_alert,
                ctx.clock,
                customer_id=alert.customer.id,
                ticket_id=alert.ticket.id,
                staff_id=staff.id,
                staff_name=person.name,
                text=text,
                source_event_id=f"slack-view:{view_id}",
                actor=actor(user_id),
            )
            if sent and alert.ticket.slack_ts:
                await client.chat_postMessage(
                    channel=alert.ticket.slack_channel or str(meta.get("channel")),
                    thread_ts=alert.ticket.slack_ts,
                    text=blocks.reply_sent(self.deps.team_t, alert, user_id, text),
                )

        await answering(self._ephemeral_in(client, meta, user_id), t, run(), what="reply to customer")

    async def snooze_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = str(body["user"]["id"])
        values = view["state"]["values"]
        picked = values["until"]["date"].get("selected_date")
        reason = clean_input(values["reason"]["text"].get("value") or "")
        settings, t = self.deps.settings, self.deps.known_t(user_id)
        today = self.deps.ctx.clock.now().astimezone(settings.tz).date()
        until = date.fromisoformat(picked) if picked else None
        if until is None or until <= today:
            await ack(response_action="errors", errors={"until": t.format("slack.snooze.future")})
            return
        if not reason:
            await ack(response_action="errors", errors={"reason": t.format("slack.snooze.need_reason")})
            return
        await ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        start = datetime.combine(until, time(0), tzinfo=settings.tz)
        self.deps.background.spawn(
            self._snooze(client, user_id, meta, start, reason, str(view["id"])), name="snooze"
        )

    async def _snooze(
        self,
        client: AsyncWebClient,
        user_id: str,
        meta: dict[str, Any],
        until: datetime,
        reason: str,
        view_id: str,
    ) -> None:
        _, t = await self.deps.person(client, user_id)
        ctx = self.deps.ctx
        ticket_id = int(meta["ticket"])

        async def run() -> None:
            done = await ctx.call(
                snooze_from_alert,
                ctx.clock,
                key=f"view:{view_id}",
                ticket_id=ticket_id,
                until=until,
                reason=reason,
                actor=actor(user_id),
            )
            if done:
                await self.poster.show(ticket_id)

        await answering(self._ephemeral_in(client, meta, user_id), t, run(), what="snooze")

    def _ephemeral_in(self, client: AsyncWebClient, meta: dict[str, Any], user_id: str) -> Any:
        async def say(text: str) -> None:
            channel = meta.get("channel") or self.poster.channel
            await client.chat_postEphemeral(channel=channel, user=user_id, text=text)

        return say

    def register(self, app: AsyncApp) -> None:
        for action_id in (blocks.REPLY, blocks.ASSIGN, blocks.CONTACTED, blocks.SNOOZE, blocks.RESOLVE):
            app.action(action_id)(self.button)
        app.view(blocks.REPLY_VIEW)(self.reply_submitted)
        app.view(blocks.SNOOZE_VIEW)(self.snooze_submitted)


def _ephemeral(respond: AsyncRespond) -> Any:
    async def say(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    return say
