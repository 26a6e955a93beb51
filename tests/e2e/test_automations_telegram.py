"""The scheduled automations through the real TelegramComponent and the Telegram sandbox: birthday
greetings, expiry notices, win-back offers and post-purchase surveys reach the right customers in
their language, once, and never a customer who opted out of promotions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import select

from bot.clock import ManualClock
from bot.config.rules import BirthdayRules, BusinessRules
from bot.context import AppContext
from bot.jobs.automations import automation_jobs
from bot.jobs.scheduler import ScheduledJob, run_due_jobs
from bot.sandbox.telegram import SandboxServer, SandboxUser, TelegramSandbox
from bot.services import winback
from bot.services.chat_preferences import set_promotions
from bot.services.customers import create_customer, link_chat
from bot.services.purchases import record_purchase
from storage.models import Customer, RiskSnapshot, WinbackOffer
from tests.e2e.telegram_harness import (  # noqa: F401
    fixture_tg_ctx,
    fixture_tg_server,
    running,
)

PAST_THE_HOUR = timedelta(minutes=20)
"""12:20 UTC: inside the send window, past the minute of every hourly automation."""


def job(ctx: AppContext, name: str) -> list[ScheduledJob]:
    return [j for j in automation_jobs(ctx) if j.name == name]


def member(
    ctx: AppContext,
    sandbox: TelegramSandbox,
    name: str,
    *,
    language: str = "en",
    birthday: date | None = None,
    promotions: bool = True,
) -> tuple[Customer, SandboxUser]:
    user = sandbox.create_user(name, language_code=language)
    with ctx.uow() as uow:
        customer = create_customer(uow, ctx.clock, external_id=name, name=name, birthday=birthday)
        link_chat(
            uow,
            ctx.clock,
            customer,
            platform="telegram",
            user_id=str(user.id),
            chat_id=str(user.id),
            language_code=language,
        )
    assert customer.id is not None
    if not promotions:
        set_promotions(ctx.uow(), ctx.clock, customer_id=customer.id, allowed=False)
    return customer, user


def texts(sandbox: TelegramSandbox, user: SandboxUser) -> list[str]:
    return [m.text or "" for m in sandbox.bot_messages(user.id)]


def buy(ctx: AppContext, customer: Customer, amount: str) -> None:
    assert customer.id is not None
    record_purchase(
        ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, customer_id=customer.id, amount=Decimal(amount)
    )


async def test_birthday_greetings_go_out_once_in_the_customers_language_never_to_opted_out(
    tg_server: SandboxServer, tg_ctx: AppContext, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    clock.advance(PAST_THE_HOUR)
    tg_ctx.rules = BusinessRules(birthday=BirthdayRules(bonus_points=50))
    birthday = (clock.now() + timedelta(days=40)).date().replace(year=1990)
    _, ann = member(tg_ctx, sandbox, "Ann", birthday=birthday)
    _, bo = member(tg_ctx, sandbox, "Bo", language="zh-hans", birthday=birthday)
    _, cy = member(tg_ctx, sandbox, "Cy", birthday=birthday, promotions=False)
    _, di = member(tg_ctx, sandbox, "Di", birthday=birthday + timedelta(days=1))
    clock.advance(timedelta(days=40))  # 12:00 UTC: inside the send window
    jobs = job(tg_ctx, "birthdays")
    async with running(tg_ctx):
        (ran,) = await run_due_jobs(tg_ctx, jobs)
        assert "3 birthdays today (3 with a bonus)" in ran[2] and "sent 2 of 3" in ran[2]
        assert await run_due_jobs(tg_ctx, jobs) == []  # the same hour is claimed already
        clock.advance(timedelta(hours=1))
        (again,) = await run_due_jobs(tg_ctx, jobs)
        assert "sent 0 of 1" in again[2]  # the opted-out customer stays unsent
    (greeting,) = texts(sandbox, ann)
    assert greeting.startswith("Happy birthday") and "50 bonus points" in greeting
    (chinese,) = texts(sandbox, bo)
    assert "生日" in chinese
    assert texts(sandbox, cy) == [] and texts(sandbox, di) == []


async def test_expiry_notices_reach_opted_out_customers_once_and_points_expire(
    tg_server: SandboxServer, tg_ctx: AppContext, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    clock.advance(PAST_THE_HOUR)
    ann_customer, ann = member(tg_ctx, sandbox, "Ann", promotions=False)
    buy(tg_ctx, ann_customer, "120")
    jobs = job(tg_ctx, "points-expiry")
    async with running(tg_ctx):
        clock.advance(timedelta(days=360))
        (ran,) = await run_due_jobs(tg_ctx, jobs)
        assert ran[2].startswith("0 points expired") and "sent 1 of 1" in ran[2]
        clock.advance(timedelta(hours=1))
        (again,) = await run_due_jobs(tg_ctx, jobs)
        assert "all 1 sent before" in again[2]
        clock.advance(timedelta(days=6))
        (expired,) = await run_due_jobs(tg_ctx, jobs)
        assert expired[2].startswith("120 points expired")
    (notice,) = texts(sandbox, ann)
    assert "120 points expire on" in notice


def flag_at_risk(ctx: AppContext, customers: list[Customer], day: date) -> None:
    with ctx.uow() as uow:
        for customer in customers:
            assert customer.id is not None
            uow.session.add(
                RiskSnapshot(
                    customer_id=customer.id,
                    as_of=day,
                    frequency=2,
                    recency_weeks=10.0,
                    age_weeks=40.0,
                    at_risk=True,
                    value_at_risk=50.0,
                )
            )


async def test_winback_offers_split_variants_go_out_once_and_measure_conversions(
    tg_server: SandboxServer, tg_ctx: AppContext, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    clock.advance(PAST_THE_HOUR)
    members = [member(tg_ctx, sandbox, f"W{n}") for n in range(16)]
    stopped, stopped_user = member(tg_ctx, sandbox, "Stop", promotions=False)
    today = clock.now().date()
    flag_at_risk(tg_ctx, [c for c, _ in members] + [stopped], today)
    jobs = job(tg_ctx, "winback")
    async with running(tg_ctx):
        (ran,) = await run_due_jobs(tg_ctx, jobs)
        assert "17 newly at risk today, 16 offers queued" in ran[2] and "sent 16 of 16" in ran[2]
        clock.advance(timedelta(hours=1))
        (again,) = await run_due_jobs(tg_ctx, jobs)
        assert "0 offers queued" in again[2]
        with tg_ctx.uow() as uow:
            offers = uow.session.exec(select(WinbackOffer)).all()
        assert {o.status for o in offers} == {"sent"} and {o.variant for o in offers} == {"A", "B"}
        by_customer = {o.customer_id: o.variant for o in offers}
        clock.advance(timedelta(days=3))
        buyers = [c for c, _ in members if by_customer[c.id or 0] == "A"]
        for customer in buyers:
            buy(tg_ctx, customer, "25")
        (measured,) = await run_due_jobs(tg_ctx, jobs)
        assert measured[2].startswith(f"{len(buyers)} new conversions")
    for customer, user in members:
        (offer,) = texts(sandbox, user)
        assert offer.startswith("We miss you") and (
            ("10% off" in offer) == (by_customer[customer.id or 0] == "A")
        )
    assert texts(sandbox, stopped_user) == []
    report = winback.winback_report(tg_ctx.uow())
    rates = {r.variant: (r.sent, r.converted) for r in report.variants}
    assert rates["A"][1] == rates["A"][0] == len(buyers) and rates["B"][1] == 0


async def test_post_purchase_survey_is_sent_by_the_components_tick_once(
    tg_server: SandboxServer, tg_ctx: AppContext, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    clock.advance(PAST_THE_HOUR)
    ann_customer, ann = member(tg_ctx, sandbox, "Ann")
    bob_customer, bob = member(tg_ctx, sandbox, "Bob", promotions=False)
    buy(tg_ctx, ann_customer, "30")
    buy(tg_ctx, bob_customer, "30")
    jobs = job(tg_ctx, "post-purchase-survey")
    clock.advance(timedelta(days=7))
    async with running(tg_ctx) as bot:
        (ran,) = await run_due_jobs(tg_ctx, jobs)
        assert "1 queued (trickle), skipped: opted_out 1" in ran[2]
        await bot.tick()
        survey = await sandbox.next_bot_message(ann.id, 5.0)
        assert survey.text is not None and survey.text.startswith("How likely")
        clock.advance(timedelta(days=1))
        (next_day,) = await run_due_jobs(tg_ctx, jobs)
        assert next_day[2] == "no post-purchase surveys due"
        await bot.tick()
    assert len(texts(sandbox, ann)) == 1 and texts(sandbox, bob) == []
