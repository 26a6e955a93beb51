"""The first-response clock in Slack (SPEC §8): a conversation past its target is flagged once in the
team channel (its alert updated, one thread line mentioning the assignee), stops being "waiting"
at the first reply, and App Home lists the viewer's and the unassigned waiting ones, oldest first.

The real Bolt app against the sandbox Slack; the sweep is the scheduler's own (`run_sweeps` with
`default_sweeps()`), the clock moved by hand. Monday 2 March 2026 12:00 UTC, shop hours Mon–Sat 9–18.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.jobs.scheduler import default_sweeps, run_sweeps
from bot.services.customers import link_chat
from bot.services.follow_ups import assign
from bot.services.staff import ensure_staff
from bot.services.tickets import open_ticket
from storage.models import Customer
from tests.services.helpers import new_customer
from tests.support.slack_world import SlackWorld, slack_world


@pytest.fixture
async def world(database_url: str, clock: ManualClock) -> AsyncIterator[SlackWorld]:
    async with slack_world(database_url, clock) as w:
        yield w


async def opens(world: SlackWorld, external_id: str, name: str, kind: str, text: str) -> Customer:
    """A linked customer whose `kind` of conversation opens now, and its alert posted."""
    customer = new_customer(world.ctx, external_id, name=name, language="en")
    assert customer.id is not None
    chat = str(7000 + customer.id)
    link_chat(world.ctx.uow(), world.ctx.clock, customer, platform="telegram", user_id=chat, chat_id=chat)
    await world.ctx.call(
        open_ticket, world.ctx.clock, customer_id=customer.id, source="feedback", text=text, kind=kind
    )
    await world.settle()
    return customer


async def sweep(world: SlackWorld) -> None:
    """One scheduler tick's sweeps, and the Slack deliveries of what they flagged."""
    await run_sweeps(world.ctx, default_sweeps())
    await world.settle()


def alert_of(world: SlackWorld, ticket_text: str) -> dict[str, Any]:
    [alert] = [m for m in world.app_messages() if ticket_text in json.dumps(m.get("blocks"))]
    return alert


def thread_lines(world: SlackWorld, alert: dict[str, Any]) -> list[str]:
    return [m["text"] for m in world.driver.messages(world.channel, thread_ts=alert["ts"])[1:]]


async def test_a_complaint_past_its_target_updates_its_alert_and_mentions_the_assignee_once(
    world: SlackWorld, clock: ManualClock
) -> None:
    await opens(world, "C1", "Ann Lee", "complaint", "The cake was stale")
    alert = alert_of(world, "The cake was stale")
    await world.driver.press_button("alert_assign", user=world.alice, channel=world.channel, ts=alert["ts"])
    await world.settle()

    clock.advance(timedelta(hours=3, minutes=50))
    await sweep(world)
    assert thread_lines(world, alert) == []
    assert "Waiting for a reply" not in json.dumps(alert_of(world, "The cake was stale")["blocks"])

    clock.advance(timedelta(minutes=20))  # 16:10: past the 4 business hours
    await sweep(world)
    shown = json.dumps(alert_of(world, "The cake was stale")["blocks"], ensure_ascii=False)
    assert "*Waiting for a reply*: past the 4-hour first-response target" in shown
    [line] = thread_lines(world, alert)
    assert line.startswith(
        f":alarm_clock: <@{world.alice}> conversation #1 has waited longer than its 4-hour"
    )

    for _ in range(3):  # later ticks, and a day later: never again
        clock.advance(timedelta(hours=8))
        await sweep(world)
    assert len(thread_lines(world, alert)) == 1

    # The first reply: the alert no longer says it waits.
    await world.driver.press_button("alert_reply", user=world.alice, channel=world.channel, ts=alert["ts"])
    await world.settle()
    modal = world.driver.top_modal(world.alice)
    assert modal is not None
    await world.driver.submit_view(modal["id"], {"reply": {"text": "So sorry, a fresh one is on its way"}})
    await world.settle()
    assert "Waiting for a reply" not in json.dumps(alert_of(world, "The cake was stale")["blocks"])


async def test_an_unassigned_conversation_past_its_target_says_nobody_has_it_yet(
    world: SlackWorld, clock: ManualClock
) -> None:
    await opens(world, "C1", "Ann Lee", "question", "Do you bake gluten free?")
    alert = alert_of(world, "Do you bake gluten free?")
    clock.advance(timedelta(days=1))  # Tuesday 12:00: 6 + 3 business hours, past the question's 8
    await sweep(world)
    await sweep(world)
    [line] = thread_lines(world, alert)
    assert "nobody has it yet" in line and "<@" not in line and "8-hour" in line


async def test_app_home_lists_the_viewers_and_the_unassigned_conversations_waiting_oldest_first(
    world: SlackWorld, clock: ManualClock
) -> None:
    ann = await opens(world, "C1", "Ann Lee", "question", "Is there parking?")
    clock.advance(timedelta(minutes=10))
    bo = await opens(world, "C2", "Bo Chen", "complaint", "Wrong order again")
    clock.advance(timedelta(minutes=10))
    cy = await opens(world, "C3", "Cy Park", "request", "Please call me back")
    boss = ensure_staff(world.ctx.uow(), clock, slack_user_id=world.boss, name="Bea", admin_ids=set())
    alice = ensure_staff(world.ctx.uow(), clock, slack_user_id=world.alice, name="Alice", admin_ids=set())
    assert boss.id is not None and alice.id is not None
    for customer, staff_id in ((cy, alice.id), (bo, boss.id)):
        assert customer.id is not None
        assign(world.ctx.uow(), clock, customer_id=customer.id, staff_id=staff_id, actor="slack:U")
    clock.advance(timedelta(hours=4))  # 16:20: Bo's complaint (16:10) is past its target

    await world.driver.open_app_home(world.alice)
    await world.settle()
    home = world.driver.home_view(world.alice)
    assert home is not None
    waiting = waiting_lines(home)
    assert [t.split("*")[1] for t in waiting] == ["#1", "#3"]  # Ann (unassigned), then Cy (hers)
    assert "unassigned" in waiting[0] and "yours" in waiting[1]
    assert "Bo Chen" not in " ".join(waiting)  # Bea's, not Alice's
    assert ann.id is not None

    await world.driver.open_app_home(world.boss)
    await world.settle()
    boss_home = world.driver.home_view(world.boss)
    assert boss_home is not None
    boss_waiting = waiting_lines(boss_home)
    assert [t.split("*")[1] for t in boss_waiting] == ["#1", "#2"]
    assert "past the target" in boss_waiting[1] and "past the target" not in boss_waiting[0]


def waiting_lines(home: dict[str, Any]) -> list[str]:
    """The App Home's "waiting for a reply" lines, top to bottom."""
    texts = [str(b.get("text", {}).get("text", "")) for b in home["blocks"] if b["type"] == "section"]
    return [t for t in texts if " · waiting " in t]
