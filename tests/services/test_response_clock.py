"""The first-response clock as the database keeps it (SPEC §8): a conversation waits for a reply until
staff first write to the customer; past its target (business hours, per kind) it is flagged once;
the digest and App Home list the waiting ones oldest first; the KPIs gain the median first response.

The clock starts on Monday 2 March 2026, 12:00 UTC (TIMEZONE is UTC; the shop opens Mon–Sat 9–18).
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import ConversationAnswered, ConversationOverdue
from bot.i18n import translator
from bot.services import tickets
from bot.services.digest import build_digest
from bot.services.follow_ups import assign
from bot.services.kpis import compute_kpis
from bot.services.response_clock import flag_overdue, waiting_for_reply
from bot.services.staff import ensure_staff
from handlers.slack.blocks.digest import digest_blocks
from storage.models import Ticket
from tests.conftest import make_context
from tests.services.helpers import new_customer


def opens(ctx: AppContext, external_id: str, kind: str, text: str = "hello?") -> int:
    """A customer whose `kind` of conversation opens now; its ticket id."""
    customer = new_customer(ctx, external_id, name=external_id.title())
    assert customer.id is not None
    ticket, opened = tickets.open_ticket(
        ctx.uow(), ctx.clock, customer_id=customer.id, source="feedback", text=text, kind=kind
    )
    assert opened and ticket.id is not None
    return ticket.id


def staff_replies(ctx: AppContext, ticket_id: int, text: str = "On it!", event: str = "view:1") -> None:
    ticket = tickets.get_ticket(ctx.uow(), ticket_id)
    staff = ensure_staff(ctx.uow(), ctx.clock, slack_user_id="U1", name="Sam", admin_ids=set())
    assert staff.id is not None
    tickets.reply_to_customer(
        ctx.uow(),
        ctx.clock,
        customer_id=ticket.customer_id,
        ticket_id=ticket_id,
        staff_id=staff.id,
        staff_name="Sam",
        text=text,
        source_event_id=event,
    )


def sweep(ctx: AppContext) -> tuple[list[int], list[object]]:
    uow = ctx.uow()
    flagged = flag_overdue(uow, ctx.clock, ctx.rules, ctx.settings.tz)
    return flagged, list(uow.committed_events)


def test_a_complaint_is_flagged_once_when_four_business_hours_have_passed(
    ctx: AppContext, clock: ManualClock
) -> None:
    complaint = opens(ctx, "c1", "complaint", "my cake arrived squashed")
    question = opens(ctx, "c2", "question", "do you deliver on sundays?")
    clock.advance(timedelta(hours=3, minutes=59))
    assert sweep(ctx) == ([], [])

    clock.advance(timedelta(minutes=2))  # 16:01: the complaint's 4 hours are up; the question's 8 not
    assert sweep(ctx) == (
        [complaint],
        [ConversationOverdue(customer_id=1, ticket_id=complaint, kind="complaint", target_hours=4.0)],
    )
    assert sweep(ctx) == ([], [])

    # The question: 6 h on Monday (12-18), then 2 h on Tuesday from 9:00. Not at night, not twice.
    clock.advance(timedelta(hours=16))  # Tuesday 08:01
    assert sweep(ctx) == ([], [])
    clock.advance(timedelta(hours=3))  # Tuesday 11:01
    flagged, events = sweep(ctx)
    assert flagged == [question] and len(events) == 1

    restarted = make_context(ctx.settings.database_url, clock)  # another process, or after a restart
    try:
        assert sweep(restarted) == ([], [])
    finally:
        restarted.close()
    with ctx.uow() as uow:
        ticket = uow.session.get(Ticket, complaint)
        assert ticket is not None and ticket.overdue_at is not None
        assert ticket.overdue_at.isoformat().startswith("2026-03-02T16:01")


def test_a_staff_reply_stops_the_clock_and_only_the_first_one_counts(
    ctx: AppContext, clock: ManualClock
) -> None:
    ticket_id = opens(ctx, "c1", "complaint")
    clock.advance(timedelta(hours=1))
    staff_replies(ctx, ticket_id)
    clock.advance(timedelta(hours=2))
    staff_replies(ctx, ticket_id, "Here is more.", event="view:2")

    first = tickets.get_ticket(ctx.uow(), ticket_id).first_response_at
    assert first is not None and first.isoformat().startswith("2026-03-02T13:00")
    assert waiting_for_reply(ctx.uow(), ctx.rules, ctx.settings.tz, clock.now()) == []
    clock.advance(timedelta(days=3))
    assert sweep(ctx) == ([], [])


def test_the_first_reply_to_an_overdue_conversation_redraws_its_alert_once(
    ctx: AppContext, clock: ManualClock
) -> None:
    ticket_id = opens(ctx, "c1", "complaint")
    clock.advance(timedelta(hours=5))
    assert sweep(ctx)[0] == [ticket_id]
    ticket = tickets.get_ticket(ctx.uow(), ticket_id)
    staff = ensure_staff(ctx.uow(), ctx.clock, slack_user_id="U1", name="Sam", admin_ids=set())
    assert staff.id is not None
    events = []
    for event in ("view:1", "view:2"):
        uow = ctx.uow()
        tickets.reply_to_customer(
            uow,
            clock,
            customer_id=ticket.customer_id,
            ticket_id=ticket_id,
            staff_id=staff.id,
            staff_name="Sam",
            text="Sorry!",
            source_event_id=event,
        )
        events += [e for e in uow.committed_events if isinstance(e, ConversationAnswered)]
    assert events == [ConversationAnswered(customer_id=ticket.customer_id, ticket_id=ticket_id)]


def test_waiting_lists_are_oldest_first_and_app_home_shows_the_viewers_and_the_unassigned(
    ctx: AppContext, clock: ManualClock
) -> None:
    bea = ensure_staff(ctx.uow(), clock, slack_user_id="UBEA", name="Bea", admin_ids=set())
    cy = ensure_staff(ctx.uow(), clock, slack_user_id="UCY", name="Cy", admin_ids=set())
    assert bea.id is not None and cy.id is not None
    oldest = opens(ctx, "c1", "question")
    clock.advance(timedelta(minutes=30))
    unassigned = opens(ctx, "c2", "complaint")
    clock.advance(timedelta(minutes=30))
    cys = opens(ctx, "c3", "request")
    clock.advance(timedelta(minutes=30))
    answered = opens(ctx, "c4", "question")
    staff_replies(ctx, answered)
    for ticket_id, staff_id in ((oldest, bea.id), (cys, cy.id)):
        customer_id = tickets.get_ticket(ctx.uow(), ticket_id).customer_id
        assign(ctx.uow(), clock, customer_id=customer_id, staff_id=staff_id, actor="slack:U")
    clock.advance(timedelta(hours=4))  # 17:30: the complaint (opened 12:30) is past its 4 hours

    everyone = waiting_for_reply(ctx.uow(), ctx.rules, ctx.settings.tz, clock.now())
    assert [w.ticket_id for w in everyone] == [oldest, unassigned, cys]
    assert [w.overdue for w in everyone] == [False, True, False]
    assert [w.assignee_slack_id for w in everyone] == ["UBEA", None, "UCY"]
    assert everyone[0].waited == timedelta(hours=5, minutes=30)
    assert everyone[1].target == timedelta(hours=4)

    beas = waiting_for_reply(ctx.uow(), ctx.rules, ctx.settings.tz, clock.now(), viewer_staff_id=bea.id)
    assert [w.ticket_id for w in beas] == [oldest, unassigned]


def test_the_digest_opens_with_the_conversations_waiting_for_a_reply(
    ctx: AppContext, clock: ManualClock
) -> None:
    late = opens(ctx, "c1", "complaint", "the cake was stale")
    clock.advance(timedelta(hours=1))
    fresh = opens(ctx, "c2", "question", "gluten free options?")
    clock.advance(timedelta(hours=4))  # 17:00

    digest = build_digest(ctx.uow(), clock, ctx.rules, ctx.settings.tz, clock.now().date(), score=False)
    assert [(w.ticket_id, w.overdue) for w in digest.waiting] == [(late, True), (fresh, False)]
    blocks = digest_blocks(translator("en"), digest)
    assert blocks[0]["type"] == "header"
    first = blocks[1]["text"]["text"]
    assert first.startswith("*Waiting for a reply* (2), oldest first")
    line_late, line_fresh = first.splitlines()[1:]
    assert f"#{late}*" in line_late and "past the target" in line_late and "waiting 5 h of 4 h" in line_late
    assert f"#{fresh}*" in line_fresh and "past the target" not in line_fresh
    assert "unassigned" in line_fresh


def test_the_kpis_give_the_median_first_response_in_business_hours(
    ctx: AppContext, clock: ManualClock
) -> None:
    answered_after = [timedelta(hours=1), timedelta(hours=3), timedelta(hours=8)]
    for n, wait in enumerate(answered_after, start=1):
        ticket_id = opens(ctx, f"c{n}", "question")
        clock.advance(wait)  # the third: 16:00 to midnight is 2 business hours
        staff_replies(ctx, ticket_id, event=f"view:{n}")
    opens(ctx, "c9", "question")  # not answered: waiting, not a time

    day = clock.now().date()
    kpis = compute_kpis(
        ctx.uow(), clock, ctx.settings.tz, day - timedelta(days=2), day + timedelta(days=1),
        trend=False, hours=ctx.rules.business_hours,
    ).period  # fmt: skip
    assert kpis.first_response.answered == 3
    assert kpis.first_response.median == timedelta(hours=2)

    digest = build_digest(ctx.uow(), clock, ctx.rules, ctx.settings.tz, day, score=False)
    assert digest.metric("first_response_hours").value == 2.0
