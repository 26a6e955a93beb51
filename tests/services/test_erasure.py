"""Forgetting a customer erases them and every record merged into them, everywhere the bot keeps text;
the anonymous aggregates stay, and the suppression list stops the person coming back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import col, func, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.importing.records import CustomerRecord, PurchaseRecord
from bot.services import follow_ups, imports, links, tickets
from bot.services.campaigns import claim_batch, start_campaign
from bot.services.customers import create_customer, find_customer, link_chat
from bot.services.erasure import forget_customer
from bot.services.errors import CustomerNotFound
from bot.services.loyalty import current_balance
from bot.services.merge import merge_customers
from bot.services.privacy import export_customer
from bot.services.rewards import request_redemption
from bot.services.scoring import score_all
from bot.services.slack_erasures import claim_slack_erasures
from bot.services.staff import ensure_staff
from bot.services.staff_actions import adjust_points_and_notify, log_staff_interaction, record_staff_purchase
from bot.services.suppression import is_suppressed
from bot.services.survey_dispatch import mark_sent
from bot.services.surveys import answer_text
from storage.models import (
    AuditLog,
    Customer,
    Purchase,
    SlackErasure,
    Suppression,
    SuppressionKey,
    SurveyResponse,
    Ticket,
)
from tests.conftest import make_context
from tests.services.test_scoring import history, load
from tests.support.privacy_scan import traces

CHAT = "987650123"
COMPLAINT = "The barista Joe shouted at me, my order 55 was cold"
COMMENT = "Cold latte and a rude welcome at Elm Street"
NOTE = "Regular since 2019, lives above the bakery"
REASON = "Goodwill for the cold latte incident"
SNOOZE = "Waiting until her surgery is over"
PURCHASE_NOTE = "Gift wrapping for her mother Margaret"
LOGGED_CALL = "Called back: upset about the rude welcome"


@dataclass
class Person:
    keep: Customer
    dup: Customer
    older: Customer

    @property
    def needles(self) -> list[str]:
        return [
            "Ann Lee",
            "Annie",
            "A. Lee",
            "4152345678",
            "4155550199",
            "ann@example.com",
            "annie.l@example.org",
            CHAT,
            COMPLAINT,
            COMMENT,
            NOTE,
            REASON,
            SNOOZE,
            PURCHASE_NOTE,
            LOGGED_CALL,
            "customer:R03",
        ]

    @property
    def own_ids(self) -> list[str]:
        return ["R03", f"tg-{CHAT}", "R03-OLD"]


def merged_person(ctx: AppContext) -> Person:
    """R03 (imported, with a purchase history), a Telegram duplicate that complained, answered a survey
    and redeemed a reward, and an older duplicate merged into that one before it was merged into R03."""
    clock, rules, tz = ctx.clock, ctx.rules, ctx.settings.tz
    load(ctx, history())
    imports.import_customers(
        ctx.uow(),
        clock,
        [
            CustomerRecord("R03", name="Ann Lee", phone="+14152345678", email="ann@example.com",
                           birthday=date(1990, 5, 17), tags=("vip",)),
        ],
    )  # fmt: skip
    dup = create_customer(ctx.uow(), clock, external_id=f"tg-{CHAT}", name="Annie", phone="+14155550199",
                          email="annie.l@example.org")  # fmt: skip
    older = create_customer(
        ctx.uow(), clock, external_id="R03-OLD", name="A. Lee", birthday=date(1990, 5, 17)
    )
    assert dup.id is not None and older.id is not None
    link_chat(ctx.uow(), clock, dup, platform="telegram", user_id=CHAT, chat_id=CHAT)
    sam = ensure_staff(ctx.uow(), clock, slack_user_id="USAM", name="Sam", admin_ids={"USAM"})
    assert sam.id is not None

    opened = tickets.receive_feedback(
        ctx.uow(), clock, customer_id=dup.id, text=COMPLAINT, source_event_id="tg:1"
    )
    assert opened.ticket is not None and opened.ticket.id is not None
    tickets.attach_slack_thread(
        ctx.uow(), ticket_id=opened.ticket.id, channel="CTEAM", ts="1700000000.000100"
    )
    tickets.add_internal_note(ctx.uow(), clock, ticket_id=opened.ticket.id, staff_id=sam.id, text=NOTE,
                              source_event_id="slack:Ev1")  # fmt: skip
    survey = start_campaign(ctx.uow(), clock, rules, started_by="slack:USAM", customer_id=dup.id)
    (prompt,) = claim_batch(ctx.uow(), clock, rules, tz, campaign_id=survey.campaign_id, limit=5,
                            default_language="en")  # fmt: skip
    mark_sent(ctx.uow(), clock, rules, dispatch_id=prompt.dispatch_id, message_id="7", text="NPS?")
    answer_text(ctx.uow(), clock, rules, customer_id=dup.id, text="3", source_event_id="tg:2")
    answer_text(ctx.uow(), clock, rules, customer_id=dup.id, text=COMMENT, source_event_id="tg:3")
    adjust_points_and_notify(ctx.uow(), clock, rules, customer_id=dup.id, delta=400, reason=REASON,
                             note="Sorry!", quiet=False, actor="slack:USAM", actor_is_admin=True,
                             idempotency_key="adj-1")  # fmt: skip
    request_redemption(ctx.uow(), clock, rules, customer_id=dup.id, reward_code="free_gift",
                       request_key=f"tg:{CHAT}:41:free_gift")  # fmt: skip
    follow_ups.snooze(ctx.uow(), clock, customer_id=dup.id, until=clock.now() + timedelta(days=9),
                      reason=SNOOZE, actor="slack:USAM")  # fmt: skip
    links.create_link_code(ctx.uow(), clock, customer_id=older.id, actor="slack:USAM")
    log_staff_interaction(ctx.uow(), clock, customer_id=older.id, staff_id=sam.id, kind="call",
                          text=LOGGED_CALL, actor="slack:USAM",
                          source_event_id="slack-message:CLOG:1700000001.000200:0")  # fmt: skip

    merge_customers(ctx.uow(), clock, keep_id=dup.id, duplicate_id=older.id, actor="slack:USAM")
    keep = find_customer(ctx.uow(), "R03", default_region="US")
    assert keep.id is not None
    record_staff_purchase(ctx.uow(), clock, rules, tz, customer_id=keep.id, amount=Decimal("18.50"),
                          note=PURCHASE_NOTE, actor="slack:USAM", actor_role="admin")  # fmt: skip
    merge_customers(ctx.uow(), clock, keep_id=keep.id, duplicate_id=dup.id, actor="slack:USAM")
    score_all(ctx.uow(), clock, rules, tz)
    return Person(keep, dup, older)


def test_a_merged_then_forgotten_customer_leaves_no_personal_data_in_any_table(ctx: AppContext) -> None:
    person = merged_person(ctx)
    assert person.keep.id is not None
    before = export_customer(ctx.uow(), ctx.clock, person.keep.id)
    found_before = traces(ctx.engine, person.needles, exact=person.own_ids)
    assert any("Ann Lee" in t for t in found_before) and any(COMMENT in t for t in found_before)
    assert any(t.startswith("risk_snapshot.reasons") for t in found_before)  # the comment, quoted

    erased = forget_customer(ctx.uow(), ctx.clock, customer_id=person.keep.id, actor="cli")

    assert (erased.merged, erased.suppressed, erased.slack_messages) == (2, 7, 2)
    assert traces(ctx.engine, person.needles, exact=person.own_ids) == []
    with ctx.uow() as uow:
        chain = uow.session.exec(select(Customer).where(col(Customer.id).in_(
            [person.keep.id, person.dup.id, person.older.id]))).all()  # fmt: skip
        assert all(c.birthday is None and c.erased_at is not None for c in chain)
        assert (
            uow.session.exec(select(func.count()).select_from(Ticket).where(Ticket.status == "open")).one()
            == 0
        )
        details = [json.loads(a.detail) for a in uow.session.exec(select(AuditLog)).all()]
    assert details[-1] == {"merged": 2, "suppressed": 7, "slack_messages": 2}
    # What stays is anonymous: amounts, dates, scores, points, counts.
    after = export_customer(ctx.uow(), ctx.clock, person.keep.id)
    assert not any(n.lower() in json.dumps(after).lower() for n in person.needles)
    assert after["customer"]["customer_id"] == f"erased-{person.keep.id}"
    assert [p["amount"] for p in after["purchases"]] == [p["amount"] for p in before["purchases"]]
    assert [s["score"] for s in after["surveys"]] == [3] and after["surveys"][0]["comment"] is None
    assert after["points"]["balance"] == before["points"]["balance"]
    assert after["scores"]["clv"] == before["scores"]["clv"]
    with pytest.raises(CustomerNotFound):
        find_customer(ctx.uow(), "R03", default_region="US")


def test_the_erased_person_is_suppressed_by_id_phone_and_email_and_nobody_else_is(ctx: AppContext) -> None:
    person = merged_person(ctx)
    assert person.keep.id is not None
    with ctx.uow() as uow:
        assert not is_suppressed(uow.session, customer_id="R03")
    forget_customer(ctx.uow(), ctx.clock, customer_id=person.keep.id, actor="cli")
    with ctx.uow() as uow:
        session = uow.session
        assert is_suppressed(session, customer_id="R03") and is_suppressed(session, customer_id=" R03-OLD ")
        assert is_suppressed(session, customer_id=f"tg-{CHAT}")
        assert is_suppressed(session, phone="+1 415 234 5678") and is_suppressed(
            session, phone="+14155550199"
        )
        assert is_suppressed(session, email="ANN@Example.com") and is_suppressed(
            session, email="annie.l@example.org"
        )
        assert is_suppressed(session, customer_id="R99", phone=None, email="ann@example.com")
        assert not is_suppressed(session, customer_id="R04", phone="+14152345679", email="bob@example.com")
        assert not is_suppressed(session)
        assert session.exec(select(func.count()).select_from(Suppression)).one() == 7


def test_forgetting_a_merged_duplicate_forgets_the_customer_it_lives_in(ctx: AppContext) -> None:
    person = merged_person(ctx)
    assert person.older.id is not None
    erased = forget_customer(ctx.uow(), ctx.clock, customer_id=person.older.id, actor="customer:telegram")
    assert erased.customer.id == person.keep.id and erased.merged == 2


def test_the_import_refuses_an_erased_person_and_counts_the_rows(ctx: AppContext) -> None:
    person = merged_person(ctx)
    assert person.keep.id is not None
    forget_customer(ctx.uow(), ctx.clock, customer_id=person.keep.id, actor="cli")
    with ctx.uow() as uow:
        customers_before = uow.session.exec(select(func.count()).select_from(Customer)).one()
        purchases_before = uow.session.exec(select(func.count()).select_from(Purchase)).one()
    counts = imports.import_customers(
        ctx.uow(),
        ctx.clock,
        [
            CustomerRecord("R03", name="Ann Lee", phone="+14152345678", email="ann@example.com"),
            CustomerRecord("NEW-1", name="Ann again", email="ANN@example.com"),  # a new id, same email
            CustomerRecord("NEW-2", name="Somebody else", phone="+14152345600"),
        ],
    )
    assert (counts.created, counts.suppressed) == (1, 2)
    bought = imports.import_purchases(
        ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz,
        [PurchaseRecord("R03", date(2026, 1, 5), Decimal("9.00"), "new-order-1"),
         PurchaseRecord("R04", date(2026, 1, 5), Decimal("9.00"), "new-order-2")],
    )  # fmt: skip
    assert (bought.created, bought.suppressed, bought.customers_created) == (1, 1, 0)
    with ctx.uow() as uow:
        assert uow.session.exec(select(func.count()).select_from(Customer)).one() == customers_before + 1
        assert uow.session.exec(select(func.count()).select_from(Purchase)).one() == purchases_before + 1
    assert traces(ctx.engine, person.needles, exact=person.own_ids) == []


def test_erasure_key_from_the_settings_is_never_stored_and_an_earlier_database_key_still_counts(
    database_url: str, clock: ManualClock
) -> None:
    plain = make_context(database_url, clock)
    keyed = make_context(database_url, clock, erasure_key="k" * 40)
    try:
        first = create_customer(plain.uow(), clock, external_id="A1", email="a1@example.com")
        second = create_customer(keyed.uow(), clock, external_id="B1", email="b1@example.com")
        assert first.id is not None and second.id is not None
        forget_customer(plain.uow(), clock, customer_id=first.id, actor="cli")  # no key set: one is made
        with keyed.uow() as uow:
            stored = uow.session.exec(select(SuppressionKey)).all()
        assert len(stored) == 1
        forget_customer(keyed.uow(), clock, customer_id=second.id, actor="cli")  # hashed under ERASURE_KEY
        with keyed.uow() as uow:
            assert is_suppressed(uow.session, email="a1@example.com")  # the earlier key is still tried
            assert is_suppressed(uow.session, email="b1@example.com")
            assert uow.session.exec(select(SuppressionKey)).all() == stored
        with plain.uow() as uow:  # without ERASURE_KEY, its hashes mean nothing
            assert not is_suppressed(uow.session, email="b1@example.com")
            assert is_suppressed(uow.session, email="a1@example.com")
    finally:
        plain.close()
        keyed.close()


def test_slack_messages_about_the_person_are_queued_in_the_erasure_and_claimed_once(ctx: AppContext) -> None:
    person = merged_person(ctx)
    assert person.keep.id is not None
    forget_customer(ctx.uow(), ctx.clock, customer_id=person.keep.id, actor="cli")
    with ctx.uow() as uow:
        queued = {(r.channel, r.ts, r.scope) for r in uow.session.exec(select(SlackErasure)).all()}
    assert queued == {("CTEAM", "1700000000.000100", "thread"), ("CLOG", "1700000001.000200", "message")}
    first = claim_slack_erasures(ctx.uow(), ctx.clock, lease=timedelta(minutes=5))
    assert len(first) == 2
    assert claim_slack_erasures(ctx.uow(), ctx.clock, lease=timedelta(minutes=5)) == []


def test_an_answer_from_a_survey_of_an_erased_customer_keeps_only_its_score(ctx: AppContext) -> None:
    person = merged_person(ctx)
    assert person.keep.id is not None
    forget_customer(ctx.uow(), ctx.clock, customer_id=person.keep.id, actor="cli")
    with ctx.uow() as uow:
        answers = uow.session.exec(select(SurveyResponse)).all()
    assert [(a.score, a.comment) for a in answers] == [(3, None)]
    assert current_balance(ctx.uow(), ctx.clock, person.keep.id).spendable >= 0
