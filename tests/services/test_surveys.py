"""The survey's state in the database: answers, the reward once, reminders, expiry and CSAT per ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import DetractorAnswered, SurveyCommented, SurveyReminderDue
from bot.services.campaigns import claim_batch, start_campaign
from bot.services.chat_preferences import set_promotions
from bot.services.customer_chat import OutboundNote, log_outbound
from bot.services.customers import link_chat
from bot.services.loyalty import current_balance
from bot.services.survey_dispatch import (
    SurveyPrompt,
    expire_surveys,
    mark_sent,
    send_due_reminders,
    start_csat,
)
from bot.services.surveys import (
    ScoreNotUnderstood,
    ScoreRecorded,
    SurveyClosed,
    SurveyFinished,
    answer_button,
    answer_text,
    open_survey,
    skip_reason,
)
from bot.services.tickets import open_ticket
from storage.models import Customer, SurveyDispatch
from tests.services.helpers import new_customer


def on_telegram(ctx: AppContext, external_id: str = "A") -> Customer:
    customer = new_customer(ctx, external_id)
    link_chat(ctx.uow(), ctx.clock, customer, platform="telegram", user_id=external_id, chat_id=external_id)
    return customer


def claimed(ctx: AppContext, customer: Customer) -> SurveyPrompt:
    summary = start_campaign(ctx.uow(), ctx.clock, ctx.rules, started_by="test", customer_id=customer.id)
    (prompt,) = claim_batch(
        ctx.uow(),
        ctx.clock,
        ctx.rules,
        ctx.settings.tz,
        campaign_id=summary.campaign_id,
        limit=10,
        default_language="en",
    )
    return prompt


def sent(ctx: AppContext, customer: Customer) -> SurveyPrompt:
    prompt = claimed(ctx, customer)
    assert mark_sent(
        ctx.uow(), ctx.clock, ctx.rules, dispatch_id=prompt.dispatch_id, message_id="7", text="NPS?"
    )
    return prompt


def typed(ctx: AppContext, customer: Customer, text: str, event: str) -> tuple[object, list[object]]:
    uow = ctx.uow()
    answer = answer_text(
        uow, ctx.clock, ctx.rules, customer_id=customer.id or 0, text=text, source_event_id=event
    )
    return answer, uow.committed_events


def test_score_reason_and_thanks_credit_the_reward_once(ctx: AppContext) -> None:
    ann = on_telegram(ctx)
    prompt = sent(ctx, ann)
    answer, events = typed(ctx, ann, "I'd say a 5", "tg:1")
    assert answer == ScoreRecorded(
        prompt.dispatch_id, "nps", 5, ask_reason=True, points=20, question_message_id="7"
    )
    assert [type(e) for e in events] == [DetractorAnswered]
    finished, events = typed(ctx, ann, "Queue was too long", "tg:2")
    assert finished == SurveyFinished("nps", 5, 20)
    assert events == [SurveyCommented(ann.id or 0, 1, 5, "Queue was too long")]
    with pytest.raises(SurveyClosed):
        answer_button(
            ctx.uow(), ctx.clock, ctx.rules, customer_id=ann.id or 0, dispatch_id=prompt.dispatch_id, score=9
        )
    assert current_balance(ctx.uow(), ctx.clock, ann.id or 0).spendable == 20
    assert typed(ctx, ann, "and one more thing", "tg:3")[0] is None  # no survey waits: it is feedback


def test_an_unreadable_score_is_asked_again_and_changes_nothing(ctx: AppContext) -> None:
    ann = on_telegram(ctx)
    prompt = sent(ctx, ann)
    assert typed(ctx, ann, "between 7 and 8", "tg:1")[0] == ScoreNotUnderstood(
        prompt.dispatch_id, "nps", 0, 10
    )
    assert open_survey(ctx.uow(), ctx.clock, ann.id or 0) is not None


def test_an_answer_before_the_send_was_recorded_still_counts(ctx: AppContext) -> None:
    ann = on_telegram(ctx)
    prompt = claimed(ctx, ann)  # the message is out; the sender has not marked it sent yet
    answer, _ = typed(ctx, ann, "10", "tg:1")
    assert isinstance(answer, ScoreRecorded) and answer.score == 10
    assert mark_sent(
        ctx.uow(), ctx.clock, ctx.rules, dispatch_id=prompt.dispatch_id, message_id="9", text="NPS?"
    )
    with ctx.uow() as uow:
        dispatch = uow.session.get(SurveyDispatch, prompt.dispatch_id)
        assert (
            dispatch is not None and dispatch.status == "awaiting_reason" and dispatch.expires_at is not None
        )


def test_someone_elses_or_an_out_of_range_button_changes_nothing(ctx: AppContext) -> None:
    ann, bob = on_telegram(ctx, "A"), on_telegram(ctx, "B")
    prompt = sent(ctx, ann)
    for customer, score in ((bob, 9), (ann, 11)):
        with pytest.raises(SurveyClosed):
            answer_button(
                ctx.uow(),
                ctx.clock,
                ctx.rules,
                customer_id=customer.id or 0,
                dispatch_id=prompt.dispatch_id,
                score=score,
            )
    assert skip_reason(ctx.uow(), ctx.clock, customer_id=ann.id or 0) is None


def test_one_reminder_after_48_hours_unless_opted_out_or_contacted_in_the_last_day(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann, bob, cat = on_telegram(ctx, "A"), on_telegram(ctx, "B"), on_telegram(ctx, "C")
    prompts = {c.external_id: sent(ctx, c) for c in (ann, bob, cat)}
    set_promotions(ctx.uow(), ctx.clock, customer_id=bob.id or 0, allowed=False)
    clock.advance(timedelta(hours=47))
    log_outbound(ctx.uow(), ctx.clock, [OutboundNote(cat.id or 0, "Offer", "offer", bot_initiated=True)])
    uow = ctx.uow()
    assert send_due_reminders(uow, ctx.clock, ctx.rules) == 0
    clock.advance(timedelta(hours=2))
    uow = ctx.uow()
    assert send_due_reminders(uow, ctx.clock, ctx.rules) == 1
    assert uow.committed_events == [SurveyReminderDue(ann.id or 0, prompts["A"].dispatch_id)]
    clock.advance(timedelta(hours=23))
    assert send_due_reminders(ctx.uow(), ctx.clock, ctx.rules) == 1  # cat's quiet day is over; ann had hers
    assert send_due_reminders(ctx.uow(), ctx.clock, ctx.rules) == 0


def test_surveys_expire_and_a_missing_reason_just_ends_the_survey(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann, bob = on_telegram(ctx, "A"), on_telegram(ctx, "B")
    sent(ctx, ann)
    sent(ctx, bob)
    typed(ctx, bob, "9", "tg:1")
    clock.advance(timedelta(days=7))
    assert expire_surveys(ctx.uow(), ctx.clock) == 1
    with ctx.uow() as uow:
        statuses = sorted(d.status for d in uow.session.exec(select(SurveyDispatch)).all())
    assert statuses == ["answered", "expired"]


def test_a_ticket_gets_one_csat_and_none_for_a_customer_who_opted_out(ctx: AppContext) -> None:
    ann, bob = on_telegram(ctx, "A"), on_telegram(ctx, "B")
    ticket, _ = open_ticket(ctx.uow(), ctx.clock, customer_id=ann.id or 0, source="feedback", text="broken")
    first = start_csat(
        ctx.uow(), ctx.clock, ticket_id=ticket.id or 0, customer_id=ann.id or 0, default_language="en"
    )
    again = start_csat(
        ctx.uow(), ctx.clock, ticket_id=ticket.id or 0, customer_id=ann.id or 0, default_language="en"
    )
    assert first.prompt is not None and first.prompt.kind == "csat" and again.prompt is None
    assert again.target is not None  # the customer is still told the ticket is resolved
    set_promotions(ctx.uow(), ctx.clock, customer_id=bob.id or 0, allowed=False)
    other, _ = open_ticket(ctx.uow(), ctx.clock, customer_id=bob.id or 0, source="feedback", text="late")
    opted = start_csat(
        ctx.uow(), ctx.clock, ticket_id=other.id or 0, customer_id=bob.id or 0, default_language="en"
    )
    assert opted.target is not None and opted.prompt is None
