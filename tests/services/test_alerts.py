"""Alert services: one ticket per alert, the claim that posts it once, and staff actions that a
retry or a double click cannot repeat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import PointsAdjusted, StaffReplied, TicketOpened
from bot.services import alerts, staff_actions, tickets
from bot.services.customers import link_chat
from bot.services.errors import AlreadyDone, InvalidInput, NotAllowed
from bot.services.loyalty import current_balance
from bot.services.staff import ensure_staff
from storage.models import AuditLog, Customer, Interaction
from tests.services.helpers import new_customer


def staff_id(ctx: AppContext, user: str = "U1", *, admin: bool = False) -> int:
    staff = ensure_staff(ctx.uow(), ctx.clock, slack_user_id=user, admin_ids={user} if admin else set())
    assert staff.id is not None
    return staff.id


def with_chat(ctx: AppContext, customer: Customer) -> None:
    link_chat(ctx.uow(), ctx.clock, customer, platform="telegram", user_id="42", chat_id="42")


def test_a_detractor_gets_a_ticket_and_a_second_alert_reuses_it(ctx: AppContext) -> None:
    ann = new_customer(ctx, "C1")
    assert ann.id is not None
    uow = ctx.uow()
    first, opened = alerts.ticket_for_alert(uow, ctx.clock, customer_id=ann.id, source="survey", text="NPS 2")
    again, reopened = alerts.ticket_for_alert(
        ctx.uow(), ctx.clock, customer_id=ann.id, source="survey", text="x"
    )

    assert opened and not reopened and first.id == again.id and first.source == "survey"
    assert [type(e) for e in uow.committed_events] == [TicketOpened]
    assert alerts.open_ticket_id(ctx.uow(), ann.id) == first.id


LEASE = timedelta(minutes=2)


def new_ticket(ctx: AppContext) -> int:
    ann = new_customer(ctx, "C1")
    assert ann.id is not None
    ticket, _ = alerts.ticket_for_alert(
        ctx.uow(), ctx.clock, customer_id=ann.id, source="feedback", text="bad"
    )
    assert ticket.id is not None
    return ticket.id


def test_only_one_caller_may_post_an_alert_until_it_releases_the_claim(ctx: AppContext) -> None:
    ticket_id = new_ticket(ctx)
    claim = alerts.claim_alert_post(ctx.uow(), ctx.clock, ticket_id, lease=LEASE)
    assert claim is not None and not claim.taken_over
    assert alerts.claim_alert_post(ctx.uow(), ctx.clock, ticket_id, lease=LEASE) is None
    alerts.release_alert_claim(ctx.uow(), claim)
    assert alerts.claim_alert_post(ctx.uow(), ctx.clock, ticket_id, lease=LEASE) is not None


def test_a_claim_whose_lease_ran_out_is_taken_over_once_and_its_holder_can_no_longer_renew_or_release_it(
    ctx: AppContext, clock: ManualClock
) -> None:
    ticket_id = new_ticket(ctx)
    first = alerts.claim_alert_post(ctx.uow(), clock, ticket_id, lease=LEASE)
    assert first is not None
    clock.advance(timedelta(minutes=1))
    renewed = alerts.renew_alert_claim(ctx.uow(), clock, first)
    assert renewed is not None and renewed.since == clock.now()
    clock.advance(timedelta(minutes=1, seconds=30))
    assert alerts.claim_alert_post(ctx.uow(), clock, ticket_id, lease=LEASE) is None  # renewed 90 s ago

    clock.advance(timedelta(minutes=1))
    taken = alerts.claim_alert_post(ctx.uow(), clock, ticket_id, lease=LEASE)
    again = alerts.claim_alert_post(ctx.uow(), clock, ticket_id, lease=LEASE)

    assert taken is not None and taken.taken_over and again is None
    assert alerts.renew_alert_claim(ctx.uow(), clock, renewed) is None
    alerts.release_alert_claim(ctx.uow(), renewed)  # not its claim any more: nothing happens
    assert alerts.claim_alert_post(ctx.uow(), clock, ticket_id, lease=LEASE) is None
    assert alerts.renew_alert_claim(ctx.uow(), clock, taken) is not None


def test_an_attached_alert_is_never_claimed_again_and_the_first_message_attached_stays(
    ctx: AppContext, clock: ManualClock
) -> None:
    ticket_id = new_ticket(ctx)
    assert alerts.claim_alert_post(ctx.uow(), clock, ticket_id, lease=LEASE) is not None

    first = tickets.attach_slack_thread(ctx.uow(), ticket_id=ticket_id, channel="C1", ts="1.0001")
    second = tickets.attach_slack_thread(ctx.uow(), ticket_id=ticket_id, channel="C1", ts="2.0002")
    clock.advance(timedelta(hours=1))

    assert first == second == ("C1", "1.0001")
    assert alerts.claim_alert_post(ctx.uow(), clock, ticket_id, lease=LEASE) is None


def test_the_alert_revision_changes_with_what_the_buttons_act_on(ctx: AppContext) -> None:
    ticket_id = new_ticket(ctx)
    before = alerts.alert_view(ctx.uow(), ticket_id)
    assert alerts.alert_view(ctx.uow(), ticket_id).revision == before.revision
    assert not before.reachable

    done = staff_actions.act_on_alert(
        ctx.uow(),
        ctx.clock,
        key="k1",
        ticket_id=ticket_id,
        action="assign",
        staff_id=staff_id(ctx),
        actor="slack:U1",
    )

    after = alerts.alert_view(ctx.uow(), ticket_id)
    assert done and after.revision != before.revision and after.assignee_slack_id == "U1"


def test_an_alert_action_with_a_used_key_changes_nothing(ctx: AppContext) -> None:
    ticket_id = new_ticket(ctx)
    act = {"ticket_id": ticket_id, "staff_id": staff_id(ctx), "actor": "slack:U1"}

    results = [
        staff_actions.act_on_alert(ctx.uow(), ctx.clock, key="same", action="contacted", **act),
        staff_actions.act_on_alert(ctx.uow(), ctx.clock, key="same", action="contacted", **act),
    ]

    assert results == [True, False]
    with ctx.uow() as uow:
        contacts = uow.session.exec(select(Interaction).where(Interaction.kind == "contacted")).all()
    assert len(contacts) == 1


def test_a_failed_resolve_releases_its_key_so_the_reply_can_say_why(ctx: AppContext) -> None:
    ticket_id = new_ticket(ctx)
    tickets.resolve_ticket(ctx.uow(), ctx.clock, ticket_id=ticket_id, actor="slack:U2")

    with pytest.raises(AlreadyDone, match="already resolved"):
        staff_actions.act_on_alert(
            ctx.uow(),
            ctx.clock,
            key="r1",
            ticket_id=ticket_id,
            action="resolve",
            staff_id=staff_id(ctx),
            actor="x",
        )
    assert staff_actions.act_on_alert(  # the failed action's key was rolled back with it
        ctx.uow(),
        ctx.clock,
        key="r1",
        ticket_id=ticket_id,
        action="contacted",
        staff_id=staff_id(ctx),
        actor="x",
    )


def test_a_thread_message_is_a_note_unless_relay_all_reaches_the_customer(ctx: AppContext) -> None:
    ann = new_customer(ctx, "C1")
    assert ann.id is not None
    ticket, _ = alerts.ticket_for_alert(
        ctx.uow(), ctx.clock, customer_id=ann.id, source="feedback", text="bad"
    )
    sid = staff_id(ctx)
    common = {"ticket": ticket, "staff_id": sid, "staff_name": "Alice", "text": "call her back", "actor": "x"}

    note = staff_actions.thread_message(ctx.uow(), ctx.clock, key="e1", relay_all=False, **common)
    unreachable = staff_actions.thread_message(ctx.uow(), ctx.clock, key="e2", relay_all=True, **common)
    with_chat(ctx, ann)
    uow = ctx.uow()
    sent = staff_actions.thread_message(uow, ctx.clock, key="e3", relay_all=True, **common)
    replay = staff_actions.thread_message(ctx.uow(), ctx.clock, key="e3", relay_all=True, **common)

    assert [o.result for o in (note, unreachable, sent, replay)] == [
        "noted",
        "noted_unreachable",
        "sent",
        "duplicate",
    ]
    assert [type(e) for e in uow.committed_events] == [StaffReplied]


def test_points_adjustment_tells_the_customer_unless_quiet_and_refuses_non_admins(ctx: AppContext) -> None:
    ann = new_customer(ctx, "C1")
    assert ann.id is not None
    adjust = {"customer_id": ann.id, "reason": "goodwill", "actor": "slack:U1"}

    with pytest.raises(NotAllowed):
        staff_actions.adjust_points_and_notify(
            ctx.uow(), ctx.clock, ctx.rules, delta=50, note="", quiet=False, actor_is_admin=False,
            idempotency_key="a0", **adjust,
        )  # fmt: skip
    told, quiet = ctx.uow(), ctx.uow()
    staff_actions.adjust_points_and_notify(
        told, ctx.clock, ctx.rules, delta=50, note="Sorry!", quiet=False, actor_is_admin=True,
        idempotency_key="a1", **adjust,
    )  # fmt: skip
    done = staff_actions.adjust_points_and_notify(
        quiet, ctx.clock, ctx.rules, delta=-5, note="", quiet=True, actor_is_admin=True,
        idempotency_key="a2", **adjust,
    )  # fmt: skip

    assert told.committed_events == [PointsAdjusted(customer_id=ann.id, delta=50, note="Sorry!")]
    assert quiet.committed_events == [] and done.balance.spendable == 45
    assert current_balance(ctx.uow(), ctx.clock, ann.id).spendable == 45
    with ctx.uow() as uow:
        assert len(uow.session.exec(select(AuditLog).where(AuditLog.action == "points.adjust")).all()) == 2


def test_snooze_from_an_alert_needs_a_future_date_and_happens_once(ctx: AppContext) -> None:
    ticket_id = new_ticket(ctx)
    later = ctx.clock.now() + timedelta(days=3)

    with pytest.raises(InvalidInput):
        staff_actions.snooze_from_alert(
            ctx.uow(), ctx.clock, key="v0", ticket_id=ticket_id, until=ctx.clock.now(), reason="x", actor="a"
        )
    first = staff_actions.snooze_from_alert(
        ctx.uow(), ctx.clock, key="v1", ticket_id=ticket_id, until=later, reason="away", actor="a"
    )
    second = staff_actions.snooze_from_alert(
        ctx.uow(), ctx.clock, key="v1", ticket_id=ticket_id, until=later, reason="away", actor="a"
    )

    assert (first, second) == (True, False)
    assert alerts.alert_view(ctx.uow(), ticket_id).snoozed_until == later


def test_staff_log_kinds_map_to_timeline_channels(ctx: AppContext) -> None:
    ann = new_customer(ctx, "C1")
    assert ann.id is not None
    sid = staff_id(ctx)

    logged = [
        staff_actions.log_staff_interaction(
            ctx.uow(), ctx.clock, customer_id=ann.id, staff_id=sid, kind=k, text="hi", actor="x"
        )[0]
        for k in ("call", "visit", "email", "note")
    ]

    assert [(i.channel, i.direction) for i in logged] == [
        ("phone", "inbound"), ("visit", "inbound"), ("email", "inbound"), ("note", "internal")
    ]  # fmt: skip
    with pytest.raises(InvalidInput):
        staff_actions.log_staff_interaction(
            ctx.uow(), ctx.clock, customer_id=ann.id, staff_id=sid, kind="fax", text="x", actor="x"
        )
