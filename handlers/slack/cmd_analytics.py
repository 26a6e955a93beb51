"""`/crm atrisk` and `/crm nps`: the retention numbers, read from the scoring and KPI services."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.services.kpis import KpiReport, compute_kpis
from bot.services.risk_list import latest_snapshot_day, list_at_risk
from handlers.slack.blocks import analytics as blocks
from handlers.slack.chart import WeekPoint, nps_trend_png
from handlers.slack.crm_command import Crm, CrmCall
from handlers.slack.deps import SlackDeps
from handlers.slack.notify import api_error
from handlers.slack.replies import UsageError

log = logging.getLogger(__name__)

PERIODS = {"30d": 30, "90d": 90, "365d": 365}
DEFAULT_PERIOD = "90d"
NOT_POSTABLE = ("not_in_channel", "channel_not_found", "is_archived")


async def at_risk(call: CrmCall) -> None:
    if call.args.strip():
        raise UsageError
    ctx = call.deps.ctx
    rows = await ctx.call(list_at_risk, ctx.clock, blocks.AT_RISK_SHOWN + 1)
    if not rows:
        scored = await ctx.call(latest_snapshot_day) is not None
        await call.reply(call.t.format("slack.atrisk.none" if scored else "slack.atrisk.not_scored"))
        return
    more = len(rows) > blocks.AT_RISK_SHOWN
    await call.reply(call.t.format("slack.atrisk.header"), blocks.at_risk_list(call.t, rows, more))


def period_of(today: date, days: int) -> tuple[date, date]:
    """The last `days` local days, today included: [start, end)."""
    end = today + timedelta(days=1)
    return end - timedelta(days=days), end


async def nps(call: CrmCall) -> None:
    word = call.args.strip().lower() or DEFAULT_PERIOD
    if word not in PERIODS:
        raise UsageError
    days = PERIODS[word]
    ctx = call.deps.ctx
    tz = ctx.settings.tz
    start, end = period_of(ctx.clock.now().astimezone(tz).date(), days)
    report = await ctx.call(compute_kpis, ctx.clock, tz, start, end, trend=True)
    summary = blocks.nps_summary(call.t, report, days)
    await call.reply(str(summary[0]["text"]["text"]), summary)
    if report.period.nps.responses:
        await _upload_chart(call, report, start, end, days)


async def _upload_chart(call: CrmCall, report: KpiReport, start: date, end: date, days: int) -> None:
    points = [WeekPoint(k.end - timedelta(days=1), k.nps.score, k.nps.responses) for k in report.trend]
    title = f"NPS {start.isoformat()} – {(end - timedelta(days=1)).isoformat()}"
    png = await asyncio.to_thread(nps_trend_png, points, title)
    chart_title = call.t.format("slack.nps.chart_title", days=days)

    async def upload(channel: str) -> None:
        await call.client.files_upload_v2(
            channel=channel, content=png, filename=f"nps-{days}d.png", title=chart_title
        )

    try:
        await upload(call.channel_id)
    except SlackApiError as exc:
        if api_error(exc) not in NOT_POSTABLE:
            raise
        opened = await call.client.conversations_open(users=call.person.user_id)
        await upload(str(opened["channel"]["id"]))
        await call.reply(call.t.format("slack.nps.chart_in_dm"))


def register(app: AsyncApp, deps: SlackDeps, crm: Crm) -> None:
    crm.add("atrisk", "slack.usage.atrisk", at_risk)
    crm.add("nps", "slack.usage.nps", nps)
