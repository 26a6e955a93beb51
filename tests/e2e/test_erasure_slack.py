"""Erasure reaches Slack (SPEC §10): after a merged customer is forgotten, the alert about them and every
message the app posted in its thread read "erased"; the staff who wrote in the thread are asked by DM to
delete their own messages (Slack lets no app edit a person's message); and the edits survive a restart
of the Slack part, because what must be edited is a row in the database, not a task in memory."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from bot.clock import ManualClock
from bot.importing.records import CustomerRecord
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.services import imports
from bot.services.customers import create_customer, customer_for_chat, find_customer
from bot.services.erasure import forget_customer
from bot.services.merge import merge_customers
from bot.services.privacy import export_customer
from bot.services.slack_erasures import pending_slack_erasures
from bot.services.tickets import receive_feedback
from handlers.slack import SlackComponent
from handlers.slack.erasure import SlackEraser
from handlers.slack.web_client import close_client, slack_client
from storage.models import Customer, SlackErasure
from tests.e2e.telegram_harness import Chat, new_chat, running
from tests.support.privacy_scan import traces
from tests.support.slack_world import SlackWorld, slack_world

COMPLAINT = "My order arrived broken and the cup is cracked. I want a refund to Annabel Quist!"
NOTE = "Annabel is a regular, lives next to the bakery; offer a voucher"
REPLY = "So sorry, Annabel! A new cup leaves today."
ANSWER = "Thanks! Deliver it to 12 Elm Street please"
NEEDLES = ["Annabel", "Ann Lee", "Quist", "4155550177", "4155550188", "ann.lee@example.com", "Elm Street",
           "cup is cracked", "new cup leaves", "lives next to the bakery"]  # fmt: skip


def shown(message: dict[str, Any]) -> str:
    parts = [message.get("text"), message.get("blocks"), message.get("attachments")]
    return json.dumps(parts, ensure_ascii=False)


def every_message(world: SlackWorld) -> list[dict[str, Any]]:
    """Everything in the sandbox workspace: channel messages, thread replies and DMs."""
    state = world.sandbox.state
    with state.locked():
        return [state.message_json(m) for messages in state.messages.values() for m in messages]


def mentions(message: dict[str, Any]) -> list[str]:
    text = shown(message).lower()
    return [n for n in NEEDLES if n.lower() in text]


async def complaint_thread(world: SlackWorld, telegram: SandboxServer) -> tuple[Chat, dict[str, Any]]:
    """Ann (imported as C-77) writes from a Telegram account with another number: a duplicate customer
    who complains; staff note and reply in the alert's thread, and her answer comes back into it."""
    ctx = world.ctx
    record = CustomerRecord("C-77", name="Ann Lee", phone="+14155550177", email="ann.lee@example.com")
    imports.import_customers(ctx.uow(), ctx.clock, [record])
    ann = new_chat(telegram.sandbox, "Annabel", phone="+14155550188")
    await ann.join()
    await ann.say(COMPLAINT)
    alert = await world.driver.next_message(world.channel, within=5.0)
    await world.driver.post_user_message(NOTE, user=world.alice, channel=world.channel, thread_ts=alert["ts"])
    await world.settle()
    assert (await world.driver.press_button("alert_reply", user=world.alice, channel=world.channel,
                                            ts=alert["ts"])).status == 200  # fmt: skip
    await world.settle()
    modal = world.driver.top_modal(world.alice)
    assert modal is not None
    await world.driver.submit_view(modal["id"], {"reply": {"text": REPLY}})
    await world.settle()
    await ann.next()
    await ann.say(ANSWER)
    await world.driver.wait_for(
        lambda: (
            any(ANSWER in m["text"] for m in world.driver.messages(world.channel, thread_ts=alert["ts"]))
            or None
        ),  # False is an answer to wait_for: only None waits
        within=5.0,
    )
    duplicate = customer_for_chat(ctx.uow(), "telegram", str(ann.id))
    kept = find_customer(ctx.uow(), "C-77", default_region="US")
    assert duplicate is not None and duplicate.id is not None and kept.id is not None
    await ctx.call(
        merge_customers, ctx.clock, keep_id=kept.id, duplicate_id=duplicate.id, actor="slack:UBOSS"
    )
    return ann, alert


def erased_thread(world: SlackWorld, ts: str) -> list[dict[str, Any]] | None:
    """The app's messages of the alert's thread once every one of them reads "erased"."""
    thread = world.app_messages(ts)
    return thread if thread and all(m["text"] == "erased" for m in thread) else None


def telegram_options(telegram: SandboxServer) -> dict[str, Any]:
    return {"telegram_bot_token": telegram.sandbox.token, "telegram_api_base_url": telegram.bot_api_base_url}


async def test_a_merged_customer_who_deletes_their_data_leaves_erased_slack_messages_and_no_trace(
    database_url: str, clock: ManualClock
) -> None:
    async with (
        SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram,
        slack_world(database_url, clock, **telegram_options(telegram)) as world,
        running(world.ctx),
    ):
        ann, alert = await complaint_thread(world, telegram)
        before = [m for m in every_message(world) if mentions(m)]
        assert len(before) >= 4  # the alert, the note, the reply sent, her answer

        ask = await ann.say("/deleteme")
        await ann.tap("Yes, delete my data", message_id=ask.message_id)

        thread = await world.driver.wait_for(lambda: erased_thread(world, alert["ts"]), within=10.0)
        assert len(thread) >= 3 and thread[0]["ts"] == alert["ts"]
        erased_block = {
            "type": "section",
            "block_id": "erased",
            "text": {"type": "mrkdwn", "text": "_erased_"},
        }
        assert all(m["blocks"] == [erased_block] and not m.get("attachments") for m in thread)
        await world.driver.wait_for(lambda: pending_slack_erasures(world.ctx.uow()) == 0 or None, within=5.0)
        # Only the staff note is left: Slack lets no app edit it, so its author is asked to delete it.
        left = [m for m in every_message(world) if mentions(m)]
        assert [m["text"] for m in left] == [NOTE] and left[0]["user"] == world.alice
        dm = world.driver.messages(world.driver.dm_channel(world.alice))
        assert len(dm) == 1 and "please delete yours" in dm[0]["text"]
        assert f"/archives/{world.channel}/p{alert['ts'].replace('.', '')}" in dm[0]["text"]

        assert traces(world.ctx.engine, [*NEEDLES, COMPLAINT, NOTE, REPLY, ANSWER], exact=["C-77"]) == []
        exported = json.dumps(export_customer(world.ctx.uow(), clock, erased_customer(world))).lower()
        assert not any(n.lower() in exported for n in NEEDLES)


def erased_customer(world: SlackWorld) -> int:
    with world.ctx.uow() as uow:
        found = uow.session.exec(
            select(Customer.id).where(
                col(Customer.erased_at).is_not(None), col(Customer.merged_into_id).is_(None)
            )
        ).one()
        assert found is not None
        return found


async def test_edits_queued_while_the_slack_part_was_down_are_made_when_it_starts(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with (
        SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram,
        slack_world(sqlite_url, clock, **telegram_options(telegram)) as world,
        running(world.ctx),
    ):
        _ann, alert = await complaint_thread(world, telegram)
        await world.component.stop()  # the Slack part is down (a crash, a restart) ...
        kept = find_customer(world.ctx.uow(), "C-77", default_region="US")
        assert kept.id is not None
        erased = forget_customer(world.ctx.uow(), clock, customer_id=kept.id, actor="cli")  # ... e.g. the CLI
        assert erased.slack_messages == 1 and pending_slack_erasures(world.ctx.uow()) == 1
        await asyncio.sleep(0.2)
        assert world.app_messages(alert["ts"])[0]["text"] != "erased"

        restarted = SlackComponent(world.ctx)
        await restarted.start()
        try:
            await world.driver.wait_for(lambda: erased_thread(world, alert["ts"]), within=10.0)
            await world.driver.wait_for(
                lambda: pending_slack_erasures(world.ctx.uow()) == 0 or None, within=5.0
            )
        finally:
            await restarted.stop()
        assert [m["text"] for m in every_message(world) if mentions(m)] == [NOTE]


def rate_limited(world: SlackWorld) -> float:
    sample = world.ctx.metrics.registry.get_sample_value(
        "retention_platform_errors_total", {"platform": "slack", "kind": "rate_limited"}
    )
    return sample or 0.0


async def test_a_timed_out_edit_is_tried_again_later_and_a_rate_limit_only_delays_it(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with slack_world(sqlite_url, clock) as world:
        ctx = world.ctx
        zed = create_customer(ctx.uow(), clock, external_id="Z-1", name="Zed Okonkwo")
        assert zed.id is not None
        for n, text in enumerate(["This is terrible, the order never came", "Zed again: still nothing"]):
            await ctx.call(receive_feedback, clock, customer_id=zed.id, text=text, source_event_id=f"tg:{n}")
            await world.settle()
        alert = world.app_messages()[0]
        assert len(world.app_messages(alert["ts"])) == 2  # the alert and Zed's second message
        await world.component.eraser.stop()  # this test drives the eraser itself
        forget_customer(ctx.uow(), clock, customer_id=zed.id, actor="cli")

        # Slack takes 2 s to answer chat.update; a client that waits 1 s gives up: tried again later.
        world.driver.set_delay("chat.update", 2.0, acts_first=False)
        impatient = slack_client(ctx.settings, timeout=1)
        edit_sent = world.sandbox.state.now()
        try:
            first = await SlackEraser(world.component.deps, impatient).run_due()
        finally:
            await close_client(impatient)
        assert (first.done, first.waiting) == (0, 1)
        with ctx.uow() as uow:
            (row,) = uow.session.exec(select(SlackErasure)).all()
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "TimeoutError")
        assert row.next_attempt_at == clock.now() + timedelta(minutes=1)
        eraser = SlackEraser(world.component.deps, world.component.app.client)
        assert (await eraser.run_due()).done == 0  # not due yet

        # A minute later Slack answers at once, but the window of chat.update is full for 2 more seconds:
        # the 429 is waited out (Retry-After), not dropped.
        world.driver.set_delay("chat.update", 0)
        await asyncio.sleep(2.1)  # the late first edit lands meanwhile (Slack did it after all)
        world.driver.set_rate_limit("chat.update", 1)  # the timed-out edit was this minute's one
        world.driver.advance_clock(edit_sent + 58 - world.sandbox.state.now())
        clock.advance(timedelta(minutes=1))
        limited = rate_limited(world)
        second = await eraser.run_due()
        assert (second.done, second.edited, second.waiting) == (1, 1, 0)  # the root was edited already
        assert rate_limited(world) == limited + 1
        assert [m["text"] for m in world.app_messages(alert["ts"])] == ["erased", "erased"]
        assert pending_slack_erasures(ctx.uow()) == 0
