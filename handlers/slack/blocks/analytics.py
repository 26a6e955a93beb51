"""The at-risk list (`/crm atrisk`) and the NPS summary (`/crm nps`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Translator
from bot.services.kpis import KpiReport
from bot.services.risk_list import AtRiskCustomer
from bot.services.risk_reasons import describe_reason
from handlers.slack.blocks.common import (
    Block,
    clip,
    context,
    display_name,
    escape,
    header,
    money,
    number,
    section,
)

AT_RISK_SHOWN = 15
ANSWERS_SHOWN = 5


def at_risk_list(t: Translator, rows: Sequence[AtRiskCustomer], more: bool) -> list[Block]:
    blocks: list[Block] = [
        header(t.format("slack.atrisk.header")),
        context(t.format("slack.atrisk.scored_on", date=t.format_date(rows[0].as_of, "medium"))),
    ]
    for rank, row in enumerate(rows[:AT_RISK_SHOWN], start=1):
        facts = t.format(
            "slack.atrisk.facts",
            value=money(t, row.value_at_risk),
            p_alive=number(t, row.p_alive),
            stage=escape(row.stage or "—"),
        )
        reasons = "\n".join(f"• {escape(describe_reason(r, t))}" for r in row.reasons)
        title = f"*{rank}. {display_name(row.name, row.external_id)}* (`{escape(row.external_id)}`)"
        blocks.append(section(f"{title} · {facts}\n{reasons}"))
    if more:
        blocks.append(context(t.format("slack.atrisk.more", shown=AT_RISK_SHOWN)))
    return blocks


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}"


def nps_value(score: float | None) -> str:
    return "—" if score is None else f"{score:+.0f}"


def nps_summary(t: Translator, report: KpiReport, days: int) -> list[Block]:
    kpis = report.period
    if not kpis.nps.responses:
        return [section(t.format("slack.nps.no_answers", days=days))]
    summary = t.format(
        "slack.nps.summary",
        days=days,
        nps=nps_value(kpis.nps.score),
        promoters=kpis.nps.promoters,
        passives=kpis.nps.passives,
        detractors=kpis.nps.detractors,
        answers=kpis.nps.responses,
        rate=percent(kpis.response_rate),
    )
    blocks: list[Block] = [section(summary)]
    latest = [
        f"• *{a.score}* · {display_name(a.name, a.external_id)}"
        + (f": {escape(clip(a.comment, 200))}" if a.comment else "")
        for a in report.nps_answers[:ANSWERS_SHOWN]
    ]
    blocks.append(section(t.format("slack.nps.latest") + "\n" + "\n".join(latest)))
    return blocks
