"""The App Home's key numbers: the KPI service over the last 30 days, and today's at-risk count."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import Translator
from bot.services.kpis import compute_kpis
from bot.services.risk_list import list_at_risk
from handlers.slack.blocks.alert import response_hours
from handlers.slack.blocks.analytics import nps_value, percent
from handlers.slack.blocks.common import number
from handlers.slack.cmd_analytics import period_of
from handlers.slack.deps import SlackDeps

HOME_DAYS = 30
AT_RISK_COUNTED = 1000


async def home_kpis(deps: SlackDeps, t: Translator) -> tuple[list[tuple[str, str]], str]:
    """(label, value) pairs and a footnote naming the period."""
    ctx = deps.ctx
    start, end = period_of(ctx.clock.now().astimezone(ctx.settings.tz).date(), HOME_DAYS)
    report = await ctx.call(
        compute_kpis, ctx.clock, ctx.settings.tz, start, end, trend=False, hours=ctx.rules.business_hours
    )
    kpis = report.period
    first = kpis.first_response
    first_response = (
        "—"
        if first.median_hours is None
        else t.format(
            "slack.kpi.first_response_value",
            hours=response_hours(t, first.median_hours),
            count=first.answered,
        )
    )
    at_risk = len(await ctx.call(list_at_risk, ctx.clock, AT_RISK_COUNTED))
    csat = "—" if kpis.csat_average is None else f"{kpis.csat_average:.1f} (n={kpis.csat_responses})"
    pairs = [
        (
            t.format("slack.kpi.nps"),
            t.format("slack.kpi.nps_value", nps=nps_value(kpis.nps.score), answers=kpis.nps.responses),
        ),
        (t.format("slack.kpi.response_rate"), _pct(kpis.response_rate)),
        (t.format("slack.kpi.csat"), csat),
        (t.format("slack.kpi.active"), number(t, kpis.active_customers)),
        (t.format("slack.kpi.repurchase"), _pct(kpis.repurchase_rate)),
        (t.format("slack.kpi.churn"), _pct(kpis.churn_rate)),
        (t.format("slack.kpi.liability"), number(t, kpis.points_liability)),
        (t.format("slack.kpi.saved"), number(t, kpis.saved_customers)),
        (t.format("slack.kpi.first_response"), first_response),
        (t.format("slack.kpi.at_risk"), number(t, at_risk) + ("+" if at_risk >= AT_RISK_COUNTED else "")),
    ]
    note = t.format(
        "slack.kpi.period",
        days=HOME_DAYS,
        start=t.format_date(start, "medium"),
        end=t.format_date(end - timedelta(days=1), "medium"),
    )
    return pairs, note


def _pct(value: float | None) -> str:
    shown = percent(value)
    return shown if shown == "—" else f"{shown}%"
