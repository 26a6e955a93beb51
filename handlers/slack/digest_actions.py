"""The digest's buttons: per customer Assign to me / Mark contacted / Snooze 7 days / Send win-back offer,
and "See all" (the full new at-risk list in the digest's thread).

Each acks at once and works after. A click is claimed per customer, day, button, person and the
customer's status lines in the message, so a double click changes nothing twice; a change adds a
status line under the customer in the digest message (chat.update).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import Translator
from bot.services.digest_followups import DigestAction, act_on_digest
from bot.services.digest_queries import entered_at_risk
from bot.services.inbound import claim_inbound
from handlers.slack.blocks import digest as blocks
from handlers.slack.blocks.common import mention
from handlers.slack.deps import SlackDeps, actor
from handlers.slack.replies import answering

SNOOZE_DAYS = 7
SEE_ALL_CLAIMS = "slack-digest"
"""`ProcessedUpdate.platform` of a digest's "see all": once per digest message, kept for good (not a
replay guard, which is forgotten after a few days)."""
_KINDS: dict[str, DigestAction] = {
    blocks.ASSIGN: "assign",
    blocks.CONTACTED: "contacted",
    blocks.SNOOZE: "snooze",
    blocks.WINBACK: "winback",
}


class DigestActions:
    def __init__(self, deps: SlackDeps) -> None:
        self.deps = deps

    async def button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        work = self._see_all if action["action_id"] == blocks.SEE_ALL else self._act
        self.deps.background.spawn(work(body, action, respond, client), name=str(action["action_id"]))

    async def _act(
        self, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        person, t = await self.deps.person(client, str(body["user"]["id"]))
        customer_id, day = blocks.parse_value(str(action["value"]))
        kind = _KINDS[str(action["action_id"])]
        message: dict[str, Any] = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id") or "")
        ctx = self.deps.ctx

        async def run() -> None:
            staff = await self.deps.staff(person)
            assert staff.id is not None
            tz = ctx.settings.tz
            today = ctx.clock.now().astimezone(tz).date()
            until = datetime.combine(today + timedelta(days=SNOOZE_DAYS), time(0), tz)
            revision = _status_count(message.get("blocks") or [], customer_id)
            acted = await ctx.call(
                act_on_digest,
                ctx.clock,
                ctx.rules,
                key=f"digest:{day.isoformat()}:{customer_id}:{kind}:{person.user_id}:{revision}",
                customer_id=customer_id,
                action=kind,
                staff_id=staff.id,
                actor=actor(person.user_id),
                episode=day.isoformat(),
                snooze_until=until,
            )
            if not acted.done:
                return
            line = _status_line(self.deps.team_t, kind, person.user_id, until, acted.offer)
            if kind == "winback":
                await respond(
                    text=t.format(f"slack.digest.offer.{acted.offer}"),
                    response_type="ephemeral",
                    replace_original=False,
                )
            if line and channel and message.get("ts"):
                updated = blocks.with_status(list(message.get("blocks") or []), customer_id, line)
                await client.chat_update(
                    channel=channel,
                    ts=str(message["ts"]),
                    text=str(message.get("text") or ""),
                    blocks=updated,
                )

        await answering(_ephemeral(respond), t, run(), what=f"digest {kind}")

    async def _see_all(
        self, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        _, t = await self.deps.person(client, str(body["user"]["id"]))
        ctx = self.deps.ctx
        channel = str((body.get("channel") or {}).get("id") or "")
        ts = str((body.get("message") or {}).get("ts") or "")
        day = datetime.fromisoformat(str(action["value"])).date()

        async def run() -> None:
            first = await ctx.call(
                claim_inbound, platform=SEE_ALL_CLAIMS, key=f"digest-all:{channel}:{ts}", now=ctx.clock.now()
            )
            if not first:
                await respond(
                    text=t.format("slack.digest.all_in_thread"),
                    response_type="ephemeral",
                    replace_original=False,
                )
                return
            rows = await ctx.call(entered_at_risk, day, ctx.clock.now(), ctx.settings.tz)
            team_t = self.deps.team_t
            for page in blocks.all_at_risk_pages(team_t, rows, day):
                text = team_t.format(
                    "slack.digest.all_header", date=team_t.format_date(day, "medium"), count=len(rows)
                )
                await client.chat_postMessage(channel=channel, thread_ts=ts, text=text, blocks=page)

        await answering(_ephemeral(respond), t, run(), what="digest see all")

    def register(self, app: AsyncApp) -> None:
        for action_id in (*blocks.CUSTOMER_ACTIONS, blocks.SEE_ALL):
            app.action(action_id)(self.button)


def register(app: AsyncApp, deps: SlackDeps) -> None:
    DigestActions(deps).register(app)


def _status_count(message_blocks: list[dict[str, Any]], customer_id: int) -> int:
    for block in message_blocks:
        if block.get("block_id") == f"digest_s_{customer_id}":
            return len(block.get("elements") or [])
    return 0


def _status_line(
    t: Translator, kind: DigestAction, user_id: str, until: datetime, offer: str | None
) -> str | None:
    who = mention(user_id)
    if kind == "assign":
        return t.format("slack.digest.status.assigned", who=who)
    if kind == "contacted":
        return t.format("slack.digest.status.contacted", who=who)
    if kind == "snooze":
        return t.format("slack.digest.status.snoozed", who=who, date=t.format_date(until.date(), "medium"))
    return t.format("slack.digest.status.winback", who=who) if offer == "queued" else None


def _ephemeral(respond: AsyncRespond) -> Any:
    async def say(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    return say
