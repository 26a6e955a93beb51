"""Feedback becomes a ticket when it is a complaint; the ticket gathers the conversation until resolved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import CustomerMessaged, FeedbackReceived, TicketOpened, TicketResolved
from bot.services import follow_ups, links, tickets
from bot.services.customers import customer_for_chat
from bot.services.errors import AlreadyDone, InvalidInput
from bot.services.staff import ensure_staff
from storage.uow import UnitOfWork
from tests.services.helpers import new_customer


def feedback(
    ctx: AppContext, customer_id: int, text: str, event: str
) -> tuple[tickets.FeedbackOutcome, list[object]]:
    uow = ctx.uow()
    outcome = tickets.receive_feedback(
        uow, ctx.clock, customer_id=customer_id, text=text, source_event_id=event
    )
    return outcome, uow.committed_events


def test_a_complaint_opens_one_ticket_and_later_messages_join_it(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    praise, events = feedback(ctx, ann.id, "Lovely shop, great coffee!", "tg:1")
    assert not praise.negative and praise.ticket is None
    assert [type(e) for e in events] == [FeedbackReceived]
    complaint, events = feedback(ctx, ann.id, "My order arrived broken, I want a refund", "tg:2")
    assert complaint.ticket_opened and complaint.ticket is not None
    assert [type(e) for e in events] == [TicketOpened, FeedbackReceived]
    follow, events = feedback(ctx, ann.id, "Hello? Anyone there?", "tg:3")
    assert follow.ticket is not None and follow.ticket.id == complaint.ticket.id and not follow.ticket_opened
    assert [type(e) for e in events] == [CustomerMessaged]


def test_a_replayed_message_changes_nothing_and_publishes_nothing(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    feedback(ctx, ann.id, "terrible service", "tg:7")
    again, events = feedback(ctx, ann.id, "terrible service", "tg:7")
    assert again.duplicate and events == []


def test_a_failed_unit_of_work_publishes_no_events(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    uow = ctx.uow()
    with pytest.raises(RuntimeError), uow:
        tickets.receive_feedback(uow, ctx.clock, customer_id=ann.id, text="awful", source_event_id="x")
        raise RuntimeError("crash after the service, before the commit")
    assert uow.committed_events == []
    assert tickets.open_ticket_of(ctx.uow(), ann.id) is None


def test_resolving_closes_at_once_and_a_second_resolve_is_refused(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    outcome, _ = feedback(ctx, ann.id, "the delivery was late and rude", "tg:1")
    assert outcome.ticket is not None and outcome.ticket.id is not None
    tickets.attach_slack_thread(ctx.uow(), ticket_id=outcome.ticket.id, channel="C1", ts="1.0001")
    found = tickets.ticket_for_thread(ctx.uow(), "C1", "1.0001")
    assert found is not None and found.id == outcome.ticket.id
    uow: UnitOfWork = ctx.uow()
    tickets.resolve_ticket(uow, ctx.clock, ticket_id=outcome.ticket.id, actor="slack:U1")
    assert [type(e) for e in uow.committed_events] == [TicketResolved]
    with pytest.raises(AlreadyDone):
        tickets.resolve_ticket(ctx.uow(), ctx.clock, ticket_id=outcome.ticket.id, actor="slack:U2")


def test_follow_up_assign_contact_and_snooze(ctx: AppContext, clock: ManualClock) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    staff = ensure_staff(ctx.uow(), ctx.clock, slack_user_id="U1", name="Sam", admin_ids=frozenset())
    assert staff.id is not None and staff.role == "staff"
    follow_ups.assign(ctx.uow(), ctx.clock, customer_id=ann.id, staff_id=staff.id, actor="slack:U1")
    follow_ups.mark_contacted(ctx.uow(), ctx.clock, customer_id=ann.id, staff_id=staff.id)
    assert [c.id for c in follow_ups.assigned_to(ctx.uow(), staff.id)] == [ann.id]
    with pytest.raises(InvalidInput):
        follow_ups.snooze(
            ctx.uow(), ctx.clock, customer_id=ann.id, until=clock.now(), reason="x", actor="slack:U1"
        )
    row = follow_ups.snooze(
        ctx.uow(),
        ctx.clock,
        customer_id=ann.id,
        until=clock.now() + timedelta(days=7),
        reason="on holiday",
        actor="slack:U1",
    )
    assert row.snoozed_until is not None and row.last_contacted_at is not None


def test_a_deep_link_code_binds_one_chat_once(ctx: AppContext, clock: ManualClock) -> None:
    ann = new_customer(ctx, "SHOP-9")
    assert ann.id is not None
    code = links.create_link_code(ctx.uow(), ctx.clock, customer_id=ann.id, actor="slack:U1").code
    bound = links.redeem_link_code(
        ctx.uow(), ctx.clock, code=code, platform="telegram", user_id="5", chat_id="5"
    )
    assert bound.external_id == "SHOP-9"
    again = links.redeem_link_code(
        ctx.uow(), ctx.clock, code=code, platform="telegram", user_id="5", chat_id="5"
    )
    assert again.id == ann.id
    with pytest.raises(InvalidInput, match="already used"):
        links.redeem_link_code(ctx.uow(), ctx.clock, code=code, platform="telegram", user_id="6", chat_id="6")
    linked = customer_for_chat(ctx.uow(), "telegram", "5")
    assert linked is not None and linked.id == ann.id
    stale = links.create_link_code(ctx.uow(), ctx.clock, customer_id=ann.id, actor="slack:U1").code
    clock.advance(timedelta(days=31))
    with pytest.raises(InvalidInput, match="expired"):
        links.redeem_link_code(
            ctx.uow(), ctx.clock, code=stale, platform="telegram", user_id="7", chat_id="7"
        )
