"""The automation jobs without Telegram: registered with the scheduler, the domain work done once per
period, nothing sent (and said so), the day scored once, post-purchase surveys queued once."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.config.rules import BirthdayRules, BusinessRules
from bot.context import AppContext
from bot.jobs.automations import automation_jobs
from bot.jobs.scheduler import ScheduledJob, default_jobs, run_due_jobs
from bot.services.chat_preferences import set_promotions
from bot.services.customers import link_chat
from bot.services.loyalty import current_balance
from storage.models import Customer, RiskSnapshot, SurveyDispatch, WinbackOffer
from tests.services.helpers import buy, new_customer

PAST_THE_HOUR = timedelta(minutes=20)


def job(ctx: AppContext, name: str) -> list[ScheduledJob]:
    return [j for j in automation_jobs(ctx) if j.name == name]


def on_telegram(ctx: AppContext, name: str, *, promotions: bool = True) -> Customer:
    customer = new_customer(ctx, name)
    with ctx.uow() as uow:
        link_chat(uow, ctx.clock, customer, platform="telegram", user_id=name, chat_id=name)
    assert customer.id is not None
    if not promotions:
        set_promotions(ctx.uow(), ctx.clock, customer_id=customer.id, allowed=False)
    return customer


def test_the_automations_are_registered_next_to_the_digest(ctx: AppContext) -> None:
    names = [j.name for j in default_jobs(ctx)]
    assert names == [
        "score",
        "post-purchase-survey",
        "points-expiry",
        "birthdays",
        "winback",
        "forget-replays",
    ]


async def test_without_telegram_the_bonus_is_credited_once_and_nothing_is_sent(
    ctx: AppContext, clock: ManualClock
) -> None:
    ctx.rules = BusinessRules(birthday=BirthdayRules(bonus_points=30))
    birthday = (clock.now() + timedelta(days=40)).date().replace(year=1985)
    ann = new_customer(ctx, "A", birthday=birthday)
    clock.advance(timedelta(days=40) + PAST_THE_HOUR)
    jobs = job(ctx, "birthdays")
    (ran,) = await run_due_jobs(ctx, jobs)
    assert ran[2] == "1 birthdays today (1 with a bonus); greetings: Telegram is off: 1 not sent"
    clock.advance(timedelta(hours=1))
    await run_due_jobs(ctx, jobs)
    assert ann.id is not None and current_balance(ctx.uow(), ctx.clock, ann.id).spendable == 30


async def test_the_day_is_scored_once_and_too_little_data_is_an_outcome(
    ctx: AppContext, clock: ManualClock
) -> None:
    jobs = job(ctx, "score")
    (ran,) = await run_due_jobs(ctx, jobs)
    assert ran[2].startswith("not scored:")
    ann = new_customer(ctx, "A")
    assert ann.id is not None
    tomorrow = clock.now().date() + timedelta(days=1)
    with ctx.uow() as uow:  # as if the digest had scored the day already
        uow.session.add(
            RiskSnapshot(customer_id=ann.id, as_of=tomorrow, frequency=0, recency_weeks=0, age_weeks=1)
        )
    clock.advance(timedelta(days=1))
    (next_day,) = await run_due_jobs(ctx, jobs)
    assert next_day[2] == f"{tomorrow} already scored"


async def test_post_purchase_surveys_are_queued_once_per_purchase_with_catch_up(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann, bob = on_telegram(ctx, "ann"), on_telegram(ctx, "bob", promotions=False)
    off_telegram = new_customer(ctx, "walk-in")
    for customer in (ann, bob, off_telegram):
        buy(ctx, customer, "40")
    jobs = job(ctx, "post-purchase-survey")
    clock.advance(timedelta(days=6))
    (early,) = await run_due_jobs(ctx, jobs)
    assert early[2] == "no post-purchase surveys due"
    clock.advance(timedelta(days=3))  # down on day 7: the run of day 9 still catches the purchase
    (ran,) = await run_due_jobs(ctx, jobs)
    assert "1 queued (trickle), skipped: opted_out 1, not on Telegram 1" in ran[2]
    assert ran[2].endswith("Telegram is off, nothing can be sent")
    clock.advance(timedelta(days=1))
    (again,) = await run_due_jobs(ctx, jobs)
    assert again[2] == "no post-purchase surveys due"
    with ctx.uow() as uow:
        rows = uow.session.exec(select(SurveyDispatch.customer_id, SurveyDispatch.status)).all()
    assert sorted(rows) == sorted([(ann.id, "queued"), (bob.id, "skipped")])


async def test_winback_queues_offers_without_telegram_and_waits_for_the_window(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann = new_customer(ctx, "A")
    assert ann.id is not None
    clock.advance(timedelta(hours=9, minutes=20))  # 21:20 UTC: after the send window
    with ctx.uow() as uow:
        uow.session.add(
            RiskSnapshot(
                customer_id=ann.id,
                as_of=clock.now().date(),
                frequency=2,
                recency_weeks=3,
                age_weeks=9,
                at_risk=True,
            )
        )
    (ran,) = await run_due_jobs(ctx, job(ctx, "winback"))
    assert "1 newly at risk today, 1 offers queued" in ran[2]
    assert ran[2].endswith("Telegram is off: 1 not sent")
    with ctx.uow() as uow:
        (offer,) = uow.session.exec(select(WinbackOffer)).all()
    assert offer.status == "queued"
    clock.advance(timedelta(days=4))
    await run_due_jobs(ctx, job(ctx, "winback"))
    with ctx.uow() as uow:
        (offer,) = uow.session.exec(select(WinbackOffer)).all()
    assert offer.status == "failed"  # an offer not sent within 3 days is given up
