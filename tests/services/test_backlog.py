"""The database's side of /metrics: what waits to be sent, and which conversations wait for staff."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.context import AppContext
from bot.services import follow_ups, tickets
from bot.services.backlog import read_backlog
from bot.services.customer_chat import OutboundNote, log_outbound
from bot.services.staff import ensure_staff
from storage.models import SurveyDispatch, WinbackOffer
from tests.services.helpers import new_customer

MINUTE = timedelta(minutes=1)


def waiting(ctx: AppContext) -> int:
    return read_backlog(ctx.uow()).conversations_waiting


def says(ctx: AppContext, customer_id: int, text: str, event: str) -> tickets.FeedbackOutcome:
    return tickets.receive_feedback(
        ctx.uow(), ctx.clock, customer_id=customer_id, text=text, source_event_id=event
    )


def test_a_conversation_waits_until_staff_answer_it_and_again_when_the_customer_writes(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann, bob = new_customer(ctx, "C1"), new_customer(ctx, "C2")
    assert ann.id is not None and bob.id is not None
    sam = ensure_staff(ctx.uow(), clock, slack_user_id="U1", name="Sam", admin_ids=frozenset())
    assert sam.id is not None
    assert waiting(ctx) == 0

    opened = says(ctx, ann.id, "My order arrived broken", "tg:1")
    assert opened.ticket is not None and opened.ticket.id is not None
    says(ctx, bob.id, "Lovely shop!", "tg:2")
    assert waiting(ctx) == 1  # praise opens no conversation

    clock.advance(MINUTE)  # the bot's acknowledgement and a note in the thread are no answer
    log_outbound(ctx.uow(), clock, [OutboundNote(ann.id, "conversation #1 — we'll answer you here")])
    tickets.add_internal_note(
        ctx.uow(), clock, ticket_id=opened.ticket.id, staff_id=sam.id, text="on it", source_event_id="n1"
    )
    assert waiting(ctx) == 1

    clock.advance(MINUTE)
    tickets.reply_to_customer(
        ctx.uow(),
        clock,
        customer_id=ann.id,
        ticket_id=opened.ticket.id,
        staff_id=sam.id,
        staff_name="Sam",
        text="Sorry! A new one is on its way.",
        source_event_id="r1",
    )
    assert waiting(ctx) == 0

    clock.advance(MINUTE)
    says(ctx, ann.id, "When?", "tg:3")
    assert waiting(ctx) == 1

    clock.advance(MINUTE)
    follow_ups.mark_contacted(ctx.uow(), clock, customer_id=ann.id, staff_id=sam.id, note="phoned her")
    assert waiting(ctx) == 0

    clock.advance(MINUTE)
    says(ctx, ann.id, "Still nothing", "tg:4")
    tickets.resolve_ticket(ctx.uow(), clock, ticket_id=opened.ticket.id, actor="slack:U1")
    assert waiting(ctx) == 0


def test_the_outbox_depth_counts_surveys_and_win_back_offers_not_sent_yet(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    with ctx.uow() as uow:
        for status in ("queued", "sending", "sent", "answered", "skipped", "failed"):
            uow.session.add(SurveyDispatch(customer_id=ann.id, status=status))
        for episode, status in (("2026-03-01", "queued"), ("2026-03-02", "sent"), ("2026-03-03", "skipped")):
            uow.session.add(WinbackOffer(customer_id=ann.id, episode=episode, variant="A", status=status))

    assert read_backlog(ctx.uow()).outbox_depth == 3
