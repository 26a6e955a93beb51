"""Real-time alerts and their buttons, threads and modals: domain events from the real services, the
real Bolt app over signed HTTP, the sandbox Slack and a real database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.events import StaffReplied, TicketResolved
from bot.services.customers import link_chat
from bot.services.follow_ups import follow_up_of
from bot.services.surveys import answer_text
from bot.services.tickets import get_ticket, receive_feedback
from storage.models import AuditLog, Customer, Interaction, SurveyDispatch
from tests.services.helpers import new_customer
from tests.support.slack_world import SlackWorld, slack_world


@pytest.fixture
async def world(database_url: str, clock: ManualClock) -> AsyncIterator[SlackWorld]:
    async with slack_world(database_url, clock) as w:
        w.record(StaffReplied, TicketResolved)
        yield w


def telegram_customer(world: SlackWorld, external_id: str = "C1", name: str = "Ann Lee") -> Customer:
    customer = new_customer(world.ctx, external_id, name=name, language="en")
    link_chat(world.ctx.uow(), world.ctx.clock, customer, platform="telegram", user_id="7001", chat_id="7001")
    return customer


async def complain(world: SlackWorld, customer: Customer, text: str, event: str) -> None:
    """What the Telegram side does with a customer's message: the service, events published after commit."""
    assert customer.id is not None
    await world.ctx.call(
        receive_feedback, world.ctx.clock, customer_id=customer.id, text=text, source_event_id=event
    )
    await world.settle()


def button_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]
    ]


def words(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks"), ensure_ascii=False)


async def press(
    world: SlackWorld, action_id: str, alert: dict[str, Any], user: str | None = None, *, clicks: int = 1
) -> None:
    """Click a button of the alert; `clicks=2` is a double click (both before the alert changes)."""
    responses = await asyncio.gather(
        *(
            world.driver.press_button(
                action_id, user=user or world.alice, channel=world.channel, ts=alert["ts"]
            )
            for _ in range(clicks)
        )
    )
    assert all(r.status == 200 and r.elapsed < 1.0 for r in responses)
    await world.settle()


def interactions(world: SlackWorld, customer: Customer, kind: str) -> list[Interaction]:
    with world.ctx.uow() as uow:
        return list(
            uow.session.exec(
                select(Interaction)
                .where(Interaction.customer_id == customer.id, Interaction.kind == kind)
                .order_by(col(Interaction.id))
            ).all()
        )


async def test_a_complaint_posts_one_alert_and_later_messages_go_to_its_thread(world: SlackWorld) -> None:
    ann = telegram_customer(world)

    await complain(world, ann, "My order arrived broken, I want a refund", "tg:1")
    await complain(world, ann, "Hello? Is anyone there?", "tg:2")

    [alert] = world.app_messages()
    assert "Complaint #1" in words(alert) and "arrived broken" in words(alert)
    assert button_ids(alert) == [
        "alert_reply",
        "alert_assign",
        "alert_contacted",
        "alert_snooze",
        "alert_resolve",
    ]
    thread = world.app_messages(thread_ts=alert["ts"])
    assert [m["text"] for m in thread[1:]] == [":speech_balloon: *Ann Lee* wrote:\n> Hello? Is anyone there?"]
    ticket = get_ticket(world.ctx.uow(), 1)
    assert (ticket.slack_channel, ticket.slack_ts) == (world.channel, alert["ts"])


async def test_a_detractor_alert_comes_with_the_score_and_is_updated_with_the_reason(
    world: SlackWorld,
) -> None:
    ann = telegram_customer(world)
    now = world.ctx.clock.now()
    with world.ctx.uow() as uow:
        uow.session.add(
            SurveyDispatch(
                customer_id=ann.id, status="sent", kind="nps", sent_at=now, expires_at=now + timedelta(days=7)
            )
        )
    answer = (world.ctx.clock, world.ctx.rules)

    await world.ctx.call(answer_text, *answer, customer_id=ann.id, text="3", source_event_id="tg:10")
    await world.settle()
    [alert] = world.app_messages()
    assert "answered NPS *3*" in words(alert) and "Waiting for the reason" in words(alert)

    await world.ctx.call(
        answer_text, *answer, customer_id=ann.id, text="delivery was late", source_event_id="tg:11"
    )
    await world.settle()
    [updated] = world.app_messages()
    assert updated["ts"] == alert["ts"] and "delivery was late" in words(updated)
    assert "Waiting for the reason" not in words(updated)


async def test_an_alert_for_a_customer_with_an_open_ticket_updates_that_alert(world: SlackWorld) -> None:
    ann = telegram_customer(world)
    await complain(world, ann, "Terrible service today, I am angry", "tg:1")
    now = world.ctx.clock.now()
    with world.ctx.uow() as uow:
        uow.session.add(
            SurveyDispatch(
                customer_id=ann.id, status="sent", kind="nps", sent_at=now, expires_at=now + timedelta(days=7)
            )
        )

    await world.ctx.call(
        answer_text, world.ctx.clock, world.ctx.rules, customer_id=ann.id, text="2", source_event_id="tg:3"
    )
    await world.settle()

    [alert] = world.app_messages()
    assert "Latest NPS: 2" in words(alert) and "Complaint #1" in words(alert)


async def test_assign_and_mark_contacted_update_the_alert_in_place_and_a_double_click_counts_once(
    world: SlackWorld,
) -> None:
    ann = telegram_customer(world)
    await complain(world, ann, "Awful, the cake was stale", "tg:1")
    [alert] = world.app_messages()

    await press(world, "alert_assign", alert, clicks=2)
    [assigned] = world.app_messages()
    assert f"Owner: <@{world.alice}>" in words(assigned)
    await press(world, "alert_contacted", assigned, clicks=2)

    [contacted] = world.app_messages()
    assert contacted["ts"] == alert["ts"] and f"Contacted by <@{world.alice}>" in words(contacted)
    follow_up = follow_up_of(world.ctx.uow(), ann.id or 0)
    assert follow_up is not None and follow_up.assignee_staff_id is not None
    assert len(interactions(world, ann, "contacted")) == 1
    with world.ctx.uow() as uow:
        assert len(uow.session.exec(select(AuditLog).where(AuditLog.action == "follow_up.assign")).all()) == 1


async def test_snooze_asks_for_a_future_date_and_a_reason_then_updates_the_alert(world: SlackWorld) -> None:
    ann = telegram_customer(world)
    await complain(world, ann, "Bad experience, rude staff", "tg:1")
    [alert] = world.app_messages()

    await press(world, "alert_snooze", alert)
    modal = world.driver.top_modal(world.alice)
    assert modal is not None and modal["callback_id"] == "alert_snooze_view"
    refused = await world.driver.submit_view(
        modal["id"], {"until": {"date": "2026-03-01"}, "reason": {"text": "x"}}
    )
    assert json.loads(refused.body)["errors"] == {"until": "Pick a day after today."}
    await world.driver.submit_view(
        modal["id"], {"until": {"date": "2026-03-20"}, "reason": {"text": "on holiday"}}
    )
    await world.settle()

    [snoozed] = world.app_messages()
    assert "Snoozed until Mar 20, 2026: on holiday" in words(snoozed)
    follow_up = follow_up_of(world.ctx.uow(), ann.id or 0)
    assert follow_up is not None and follow_up.snooze_reason == "on holiday"
    assert world.driver.open_modals(world.alice) == []


async def test_resolve_closes_the_ticket_at_once_and_removes_the_buttons(world: SlackWorld) -> None:
    ann = telegram_customer(world)
    await complain(world, ann, "The delivery was late and cold", "tg:1")
    [alert] = world.app_messages()

    await press(world, "alert_resolve", alert, clicks=2)

    [resolved] = world.app_messages()
    assert button_ids(resolved) == [] and f"Resolved by <@{world.alice}>" in words(resolved)
    assert get_ticket(world.ctx.uow(), 1).status == "resolved"
    assert world.recorded(TicketResolved) == [TicketResolved(customer_id=ann.id or 0, ticket_id=1)]
    assert world.driver.open_modals(world.alice) == []


async def test_a_thread_message_is_an_internal_note_and_a_retried_event_counts_once(
    world: SlackWorld,
) -> None:
    ann = telegram_customer(world)
    await complain(world, ann, "Worst coffee ever, it was cold", "tg:1")
    [alert] = world.app_messages()

    _, delivery = await world.driver.post_user_message(
        "She is a regular, offer a voucher", user=world.alice, channel=world.channel, thread_ts=alert["ts"]
    )
    assert delivery is not None and delivery.event_id
    retry = await world.driver.retry_event(delivery.event_id, retry_num=1, retry_reason="http_timeout")
    await world.settle()

    assert retry.status == 200
    notes = interactions(world, ann, "note")
    assert [(n.text, n.direction, n.channel) for n in notes] == [
        ("She is a regular, offer a voucher", "internal", "slack")
    ]
    assert world.recorded(StaffReplied) == []


async def test_reply_to_customer_sends_exactly_what_the_modal_shows(world: SlackWorld) -> None:
    ann = telegram_customer(world)
    await complain(world, ann, "My parcel is lost, this is terrible", "tg:1")
    [alert] = world.app_messages()

    await press(world, "alert_reply", alert)
    modal = world.driver.top_modal(world.alice)
    assert modal is not None and "*Ann Lee*" in words(modal)
    assert "Message from the our shop team:" in words(modal)
    assert "initial_value" not in json.dumps(modal["blocks"])
    response = await world.driver.submit_view(
        modal["id"], {"reply": {"text": "So sorry! A new parcel leaves today."}}
    )
    await world.settle()

    assert response.status == 200
    assert [(e.text, e.ticket_id, e.staff_name) for e in world.recorded(StaffReplied)] == [
        ("So sorry! A new parcel leaves today.", 1, "alice")
    ]
    thread = world.app_messages(thread_ts=alert["ts"])
    assert (
        "So sorry! A new parcel leaves today." in thread[-1]["text"]
        and "sent to Ann Lee" in thread[-1]["text"]
    )


async def test_relay_mode_all_sends_thread_messages_to_the_customer(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with slack_world(sqlite_url, clock, slack_thread_relay="all") as world:
        world.record(StaffReplied)
        ann = telegram_customer(world)
        await complain(world, ann, "Broken cup in my order, very disappointed", "tg:1")
        [alert] = world.app_messages()
        assert "Every message in this thread is sent to the customer" in words(alert)

        await world.driver.post_user_message(
            "We'll replace it tomorrow", user=world.alice, channel=world.channel, thread_ts=alert["ts"]
        )
        await world.settle()

        assert [e.text for e in world.recorded(StaffReplied)] == ["We'll replace it tomorrow"]
        assert interactions(world, ann, "note") == []


async def test_app_home_shows_kpis_my_customers_and_open_tickets(world: SlackWorld) -> None:
    ann = telegram_customer(world)
    await complain(world, ann, "Dirty table and slow service, not happy", "tg:1")
    [alert] = world.app_messages()
    await press(world, "alert_assign", alert)

    await world.driver.open_app_home(world.alice)
    await world.settle()

    home = world.driver.home_view(world.alice)
    assert home is not None
    text = words(home)
    assert "Your customers" in text and "Ann Lee" in text and "*#1* · Ann Lee" in text
    await world.driver.open_app_home(world.boss)
    await world.settle()
    boss_home = world.driver.home_view(world.boss)
    assert boss_home is not None and "Nobody is assigned to you" in words(boss_home)


async def test_message_shortcut_logs_the_message_for_the_customer_picked(world: SlackWorld) -> None:
    ann = new_customer(world.ctx, "C1", name="Ann Lee")
    ts, _ = await world.driver.post_user_message(
        "Ann phoned: happy with the refund", user=world.alice, channel=world.channel
    )

    await world.driver.message_shortcut("log_interaction", user=world.alice, channel=world.channel, ts=ts)
    await world.settle()
    modal = world.driver.top_modal(world.alice)
    assert modal is not None
    text_input = next(b for b in modal["blocks"] if b.get("block_id") == "text")["element"]
    assert text_input["initial_value"] == "Ann phoned: happy with the refund"
    # The sandbox does not copy initial values into the view state, as Slack does: type it again.
    filled = {"kind": {"kind": "call"}, "text": {"text": text_input["initial_value"]}}
    wrong = await world.driver.submit_view(modal["id"], {"customer": {"query": "Zed"}, **filled})
    assert "No customer matches" in json.loads(wrong.body)["errors"]["customer"]
    await world.driver.submit_view(modal["id"], {"customer": {"query": "C1"}, **filled})
    await world.settle()

    [logged] = interactions(world, ann, "call")
    assert logged.text == "Ann phoned: happy with the refund" and logged.sentiment is not None
    assert world.last_ephemeral()["text"] == "Logged a call for Ann Lee."


async def test_reply_to_a_customer_without_telegram_explains_instead_of_opening_a_modal(
    world: SlackWorld,
) -> None:
    walk_in = new_customer(world.ctx, "C9", name="Wally Walkin")
    await complain(world, walk_in, "The shop was closed at noon, very annoying", "kiosk:1")
    [alert] = world.app_messages()
    assert "replies cannot reach this customer" in words(alert)

    await press(world, "alert_reply", alert)

    assert world.driver.open_modals(world.alice) == []
    assert world.last_ephemeral()["text"].startswith("Wally Walkin has no Telegram chat")
