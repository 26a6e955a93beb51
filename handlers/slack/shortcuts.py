"""Message shortcut "Log as customer interaction": pick the customer in a modal, log the message's text.

The customer is checked inside the ack (a wrong or ambiguous name is shown on the field); the
logging itself runs after it. Logging the same message for the same customer twice logs it once.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.customers import find_customer
from bot.services.errors import DomainError
from bot.services.staff_actions import log_staff_interaction
from handlers.slack.args import clean_input
from handlers.slack.blocks import shortcut as blocks
from handlers.slack.blocks.common import display_name
from handlers.slack.deps import SlackDeps, actor
from handlers.slack.notify import notify_user
from handlers.slack.replies import answering, describe_error
from storage.models import Customer


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def opened(ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        deps.background.spawn(_open(deps, client, shortcut), name="log-shortcut", urgent=True)

    async def submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = str(body["user"]["id"])
        values = view["state"]["values"]
        query = clean_input(values["customer"]["query"].get("value") or "")
        kind = (values["kind"]["kind"].get("selected_option") or {}).get("value") or "note"
        text = clean_input(values["text"]["text"].get("value") or "")
        t = deps.known_t(user_id)
        try:
            customer = await deps.ctx.call(
                find_customer, query, default_region=deps.settings.default_phone_region
            )
        except DomainError as error:
            await ack(response_action="errors", errors={"customer": describe_error(error, t)[:150]})
            return
        await ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        deps.background.spawn(_log(deps, client, user_id, customer, kind, text, meta), name="log-message")

    app.shortcut(blocks.CALLBACK)(opened)
    app.view(blocks.VIEW)(submitted)


async def _open(deps: SlackDeps, client: AsyncWebClient, shortcut: dict[str, Any]) -> None:
    _, t = await deps.person(client, str(shortcut["user"]["id"]))
    message = shortcut.get("message") or {}
    meta = {"channel": (shortcut.get("channel") or {}).get("id"), "ts": message.get("ts")}
    view = blocks.log_modal(t, str(message.get("text") or ""), json.dumps(meta))
    await client.views_open(trigger_id=shortcut["trigger_id"], view=view)


async def _log(
    deps: SlackDeps,
    client: AsyncWebClient,
    user_id: str,
    customer: Customer,
    kind: str,
    text: str,
    meta: dict[str, Any],
) -> None:
    person, t = await deps.person(client, user_id)
    channel = meta.get("channel")

    async def tell(line: str) -> None:
        await notify_user(client, user_id, channel, line)

    async def run() -> None:
        staff = await deps.staff(person)
        assert staff.id is not None and customer.id is not None
        await deps.ctx.call(
            log_staff_interaction,
            deps.ctx.clock,
            customer_id=customer.id,
            staff_id=staff.id,
            kind=kind,
            text=text,
            source_event_id=f"slack-message:{channel}:{meta.get('ts')}:{customer.id}",
            actor=actor(user_id),
        )
        name = display_name(customer.name, customer.external_id)
        await tell(t.format("slack.log.done", kind=t.format(f"slack.kind.{kind}"), name=name))

    await answering(tell, t, run(), what="log message shortcut")
