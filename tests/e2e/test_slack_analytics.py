"""`/crm atrisk`, `/crm nps` (with its chart) and the App Home KPIs, end to end on scored data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from bot.analytics import Reason, ReasonCode
from bot.clock import ManualClock
from bot.services.risk_reasons import reasons_to_json
from storage.models import RiskSnapshot, SurveyDispatch, SurveyResponse
from tests.services.helpers import new_customer
from tests.support.slack_world import SlackWorld, shown, slack_world


@pytest.fixture
async def world(database_url: str, clock: ManualClock) -> AsyncIterator[SlackWorld]:
    async with slack_world(database_url, clock) as w:
        yield w


async def test_atrisk_lists_customers_with_reasons_in_words(world: SlackWorld) -> None:
    await world.crm("atrisk")
    assert "not been scored yet" in world.last_ephemeral()["text"]
    ann = new_customer(world.ctx, "C1", name="Ann Lee")
    bob = new_customer(world.ctx, "C2", name="Bob Stone")
    reasons = [Reason(ReasonCode.OVERDUE, severity=1.0, days=64, usual_days=21)]
    nps = [
        Reason(ReasonCode.LOW_NPS, severity=0.5, score=3, on=date(2026, 2, 20), comment="delivery was late")
    ]
    with world.ctx.uow() as uow:
        for customer, value, why in ((ann, 80.0, reasons), (bob, 200.0, nps)):
            assert customer.id is not None
            uow.session.add(
                RiskSnapshot(
                    customer_id=customer.id, as_of=date(2026, 3, 1), frequency=3, recency_weeks=10,
                    age_weeks=40, p_alive=0.41, clv=300.0, at_risk=True, value_at_risk=value, stage="at_risk",
                    reasons=reasons_to_json(why),
                )
            )  # fmt: skip

    await world.crm("atrisk")

    listing = shown(world.last_ephemeral())
    assert listing.index("Bob Stone") < listing.index("Ann Lee")
    assert "no purchase for 64 days; usually buys every 21" in listing
    assert "NPS 3 on 20 Feb: 'delivery was late'" in listing


def answered(
    world: SlackWorld, customer_id: int, score: int, days_ago: int, comment: str | None = None
) -> None:
    """An NPS survey sent and answered `days_ago` days before now."""
    at = world.ctx.clock.now() - timedelta(days=days_ago)
    with world.ctx.uow() as uow:
        dispatch = SurveyDispatch(
            customer_id=customer_id, kind="nps", status="answered", queued_at=at, sent_at=at,
            expires_at=at + timedelta(days=7),
        )  # fmt: skip
        uow.session.add(dispatch)
        uow.flush()
        assert dispatch.id is not None
        uow.session.add(
            SurveyResponse(
                dispatch_id=dispatch.id, customer_id=customer_id, kind="nps", score=score, comment=comment,
                answered_at=at,
            )
        )  # fmt: skip


def survey_history(world: SlackWorld) -> None:
    ann = new_customer(world.ctx, "C1", name="Ann Lee")
    assert ann.id is not None
    for score, days_ago, comment in (
        (9, 80, None), (10, 40, "great"), (9, 20, None), (8, 10, None), (3, 5, "slow delivery"), (5, 2, None),
        (0, 200, "old news"),
    ):  # fmt: skip
        answered(world, ann.id, score, days_ago, comment)


async def test_nps_shows_the_score_counts_response_rate_and_uploads_a_trend_chart(world: SlackWorld) -> None:
    survey_history(world)

    await world.crm("nps")

    reply = world.last_ephemeral()
    assert reply["text"].startswith("*NPS, last 90 days: +17*")
    assert "Promoters 3 · passives 1 · detractors 2 (6 answers, response rate 100%)" in reply["text"]
    assert "*3* · Ann Lee: slow delivery" in shown(reply)
    [chart] = [m for m in world.driver.messages(world.channel) if m.get("files")]
    assert chart["files"][0]["title"] == "NPS trend, last 90 days"
    assert world.driver.file_content(chart["files"][0]["id"]).startswith(b"\x89PNG")

    await world.crm("nps 365d")
    assert "(7 answers" in world.last_ephemeral()["text"]


async def test_nps_chart_goes_to_the_dm_when_the_app_is_not_in_the_channel(world: SlackWorld) -> None:
    survey_history(world)
    lounge = world.driver.add_channel("lounge", members=[world.alice], bot_member=False)

    await world.crm("nps 30d", channel=lounge)

    assert (
        world.last_ephemeral()["text"]
        == "I'm not in this channel, so I sent the chart to our direct messages."
    )
    dm = world.driver.dm_channel(world.alice)
    assert [m["files"][0]["title"] for m in world.driver.messages(dm)] == ["NPS trend, last 30 days"]


async def test_nps_without_answers_says_so_and_a_bad_period_gets_the_usage(world: SlackWorld) -> None:
    await world.crm("nps 30d")
    assert world.last_ephemeral()["text"] == "No NPS answers in the last 30 days."
    await world.crm("nps 7d")
    assert world.last_ephemeral()["text"].startswith("Usage: `/crm nps [30d|90d|365d]`")
    assert [m for m in world.driver.messages(world.channel) if m.get("files")] == []


async def test_app_home_shows_the_kpis_of_the_last_30_days(world: SlackWorld) -> None:
    survey_history(world)

    await world.driver.open_app_home(world.alice)
    await world.settle()

    home = world.driver.home_view(world.alice)
    assert home is not None
    kpis = next(b for b in home["blocks"] if b["type"] == "section" and "fields" in b)
    values = {f["text"].split("\n")[0].strip("*"): f["text"].split("\n")[1] for f in kpis["fields"]}
    assert values["NPS"] == "-25 (4 answers)" and values["Survey response rate"] == "100%"
    assert values["At risk now"] == "0"
