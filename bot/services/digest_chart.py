"""The digest's chart: weekly NPS (left axis) and the at-risk count (right axis) over 12 weeks, as PNG.

matplotlib's object API only (no pyplot: no global state, safe in a worker thread). Labels are
numbers, dates and the two series names, so the image reads the same in every language.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.services.digest import WeekCount

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NPS_LABEL = "NPS"
AT_RISK_LABEL = "at risk"
SIZE_INCHES = (8.0, 3.6)
DPI = 100


def digest_figure(points: Sequence[WeekCount], title: str) -> Figure:
    """The figure: an NPS line and an at-risk line, one point per week (missing weeks are gaps)."""
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    nps_axis = figure.add_subplot()
    risk_axis = nps_axis.twinx()
    days = date2num([p.week_end for p in points])  # type: ignore[no-untyped-call]
    nps = [math.nan if p.nps is None else p.nps for p in points]
    risk = [math.nan if p.at_risk is None else float(p.at_risk) for p in points]
    nps_axis.plot(days, nps, marker="o", color="#1f6feb", linewidth=2, label=NPS_LABEL)
    risk_axis.plot(days, risk, marker="s", color="#cf222e", linewidth=2, label=AT_RISK_LABEL)
    nps_axis.axhline(0, color="#8c959f", linewidth=0.8)
    nps_axis.set_ylim(-100, 100)
    nps_axis.set_ylabel(NPS_LABEL)
    known = [p.at_risk for p in points if p.at_risk is not None]
    risk_axis.set_ylim(0, max([*known, 1]) * 1.2)
    risk_axis.set_ylabel(AT_RISK_LABEL)
    nps_axis.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]
    handles = nps_axis.get_lines()[:1] + risk_axis.get_lines()[:1]
    nps_axis.legend(handles, [NPS_LABEL, AT_RISK_LABEL], loc="upper left")
    nps_axis.set_title(title)
    figure.autofmt_xdate()
    return figure


def digest_chart_png(points: Sequence[WeekCount], title: str) -> bytes:
    buffer = io.BytesIO()
    digest_figure(points, title).savefig(buffer, format="png")
    return buffer.getvalue()


def chart_title(points: Sequence[WeekCount]) -> str:
    if not points:
        return "NPS / at risk"
    return f"NPS / at risk, weeks to {points[-1].week_end.isoformat()}"
