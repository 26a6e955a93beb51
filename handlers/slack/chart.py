"""The NPS trend chart (PNG) for `/crm nps`: weekly NPS as a line, the weekly answers as bars.

Labels are numbers and dates only, so the chart reads the same in every language without CJK
fonts on the server; the message it comes with carries the words.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class WeekPoint:
    week_end: date
    nps: float | None
    answers: int


def nps_trend_png(points: Sequence[WeekPoint], title: str) -> bytes:
    """Render with matplotlib's object API (no pyplot: no global state, safe in a worker thread)."""
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.6), dpi=100)
    nps_axis = figure.add_subplot()
    count_axis = nps_axis.twinx()
    days = date2num([p.week_end for p in points])  # type: ignore[no-untyped-call]
    count_axis.bar(days, [p.answers for p in points], width=5, color="#d0d7de", label="n")
    count_axis.set_ylabel("n")
    count_axis.set_ylim(0, max([p.answers for p in points] + [1]) * 1.2)
    values = [math.nan if p.nps is None else p.nps for p in points]
    nps_axis.plot(days, values, marker="o", color="#1f6feb", linewidth=2)
    nps_axis.axhline(0, color="#8c959f", linewidth=0.8)
    nps_axis.set_ylim(-100, 100)
    nps_axis.set_ylabel("NPS")
    nps_axis.set_zorder(count_axis.get_zorder() + 1)
    nps_axis.patch.set_visible(False)
    nps_axis.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]
    nps_axis.set_title(title)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
