"""`/crm survey` to one customer or a segment, and `/crm winback` results, through the real Bolt app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.services import winback
from bot.services.customers import link_chat
from bot.services.interactions import log_interaction
from bot.services.purchases import record_purchase
from storage.models import Customer, SurveyDispatch
from tests.services.helpers import new_customer
from tests.support.slack_world import SlackWorld, slack_world


@pytest.fixture
async def world(sqlite_url: str, clock: ManualClock) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_url, clock) as w:
        yield w


def _on_telegram(world: SlackWorld, external_id: str, chat: str) -> Customer:
    customer = new_customer(world.ctx, external_id, name=f"Customer {external_id}")
    link_chat(world.ctx.uow(), world.ctx.clock, customer, platform="telegram", user_id=chat, chat_id=chat)
    return customer


def _dispatches(world: SlackWorld) -> list[SurveyDispatch]:
    uow = world.ctx.uow()
    with uow:
        return list(uow.session.exec(select(SurveyDispatch)).all())


async def test_survey_to_one_customer_queues_it_and_says_when_they_were_last_surveyed(
    world: SlackWorld,
) -> None:
    _on_telegram(world, "C1", "101")
    await world.crm("survey C1")
    assert "NPS survey sent to Customer C1. Never surveyed before." in world.last_ephemeral()["text"]
    assert [(d.customer_id, d.status) for d in _dispatches(world)] == [(1, "queued")]


async def test_survey_never_overrides_an_opt_out(world: SlackWorld) -> None:
    customer = _on_telegram(world, "C1", "101")
    uow = world.ctx.uow()
    with uow:
        customer.allows_promotions = False
        uow.session.add(customer)
    await world.crm("survey C1")
    assert "No survey sent to Customer C1: they opted out of surveys." in world.last_ephemeral()["text"]
    assert [d.status for d in _dispatches(world)] in ([], ["skipped"])


async def test_survey_to_one_customer_the_bot_messaged_today_says_why_in_words(world: SlackWorld) -> None:
    customer = _on_telegram(world, "C1", "101")
    assert customer.id is not None
    log_interaction(
        world.ctx.uow(),
        world.ctx.clock,
        customer_id=customer.id,
        channel="telegram",
        direction="outbound",
        kind="winback_offer",
        text="We miss you!",
        bot_initiated=True,
    )
    await world.crm("survey C1")
    text = world.last_ephemeral()["text"]
    assert "No survey sent to Customer C1: the bot already messaged them in the last 24 hours" in text
    assert "contacted_recently" not in text
    assert [d.status for d in _dispatches(world)] in ([], ["skipped"])


async def test_survey_to_a_segment_reports_queued_and_skipped(world: SlackWorld) -> None:
    _on_telegram(world, "C1", "101")
    _on_telegram(world, "C2", "102")
    new_customer(world.ctx, "C3")  # no Telegram chat
    await world.crm("survey segment:all", user=world.boss)
    text = world.last_ephemeral(world.boss)["text"]
    assert "Survey campaign for all: 2 queued" in text and "not on Telegram: 1" in text


async def test_survey_without_arguments_shows_its_usage(world: SlackWorld) -> None:
    await world.crm("survey")
    assert "/crm survey CUSTOMER|segment:NAME" in world.last_ephemeral()["text"]
    assert _dispatches(world) == []


async def test_winback_reports_each_variant_with_a_significance_test(
    world: SlackWorld, clock: ManualClock
) -> None:
    await world.crm("winback", user=world.boss)
    assert "No win-back offers have been sent yet." in world.last_ephemeral(world.boss)["text"]
    ids = [new_customer(world.ctx, f"W{i}").id for i in range(30)]
    offers = winback.queue_offers(
        world.ctx.uow(),
        world.ctx.clock,
        world.ctx.rules,
        customer_ids=[i for i in ids if i is not None],
        episode="e1",
    )
    for offer in offers:
        assert offer.id is not None
        winback.mark_offer(world.ctx.uow(), world.ctx.clock, offer_id=offer.id, sent=True)
    clock.advance(timedelta(days=2))
    for offer in offers:
        if offer.variant == "A":
            record_purchase(
                world.ctx.uow(),
                world.ctx.clock,
                world.ctx.rules,
                world.ctx.settings.tz,
                customer_id=offer.customer_id,
                amount=Decimal("9.50"),
            )
    winback.record_conversions(world.ctx.uow(), world.ctx.clock, world.ctx.rules)
    await world.crm("winback", user=world.boss)
    text = world.last_ephemeral(world.boss)["text"]
    sent_a = sum(o.variant == "A" for o in offers)
    assert f"Variant A: {sent_a} sent, {sent_a} converted (100.0%)" in text
    assert "Variant B:" in text and "(0.0%)" in text
    assert "The difference is significant (fisher test" in text
