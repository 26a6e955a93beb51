"""Time counted in business hours (SPEC §8's first-response clock): a conversation opened on
Saturday at 17:30 with a 4-hour target is due on Monday at 12:30 when the shop opens 09:00–18:00
Monday to Saturday. Pure: the caller passes aware datetimes and the shop's zone.

Each local day is walked once, so a DST change simply shortens or lengthens that day's opening.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config.rules import BusinessHoursRules

MAX_DAYS = 3660
"""A deadline further away than ten years means the hours are misconfigured, not a real wait."""


def _opening(day: date, hours: BusinessHoursRules, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    if day.weekday() not in hours.weekdays:
        return None
    closes = (
        datetime.combine(day + timedelta(days=1), hours.closes, tz)
        if hours.closes_at_midnight
        else datetime.combine(day, hours.closes, tz)
    )
    return datetime.combine(day, hours.opens, tz), closes


def business_time_between(
    start: datetime, end: datetime, hours: BusinessHoursRules, tz: ZoneInfo
) -> timedelta:
    """How much of [start, end) falls inside opening hours."""
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        opening = _opening(day, hours, tz)
        if opening is not None:
            begin, finish = max(opening[0], start), min(opening[1], end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def business_deadline(
    start: datetime, target: timedelta, hours: BusinessHoursRules, tz: ZoneInfo
) -> datetime:
    """The moment `target` of business time has passed since `start`."""
    left = target
    day = start.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        opening = _opening(day, hours, tz)
        if opening is not None:
            begin = max(opening[0], start)
            if opening[1] > begin:
                if begin + left <= opening[1]:
                    return (begin + left).astimezone(start.tzinfo)
                left -= opening[1] - begin
        day += timedelta(days=1)
    raise ValueError("the business hours leave no time to answer in")
