"""Dates as people and spreadsheets write them; ambiguous day/month orders are refused."""

from __future__ import annotations

import datetime as dt
import re

from .errors import FieldError
from .text import shown

EARLIEST = dt.date(1900, 1, 1)

_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII),
    # Excel in Chinese locales writes 2024/1/5; 2024.1.5 and 2024年1月5日 are common too.
    re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})", re.ASCII),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", re.ASCII),
)
_DATETIME_START = re.compile(r"\d{4}-\d{2}-\d{2}[T ]", re.ASCII)


def parse_day(field: str, value: str, hint: str) -> dt.date:
    """A calendar date in one of the accepted year-first formats."""
    for pattern in _PATTERNS:
        match = pattern.fullmatch(value)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise FieldError(f"{field} '{shown(value)}' is not a valid date ({hint})")


def parse_moment(field: str, value: str, hint: str) -> tuple[dt.date, dt.datetime | None]:
    """A date, or an ISO 8601 date-time; midnight without an offset counts as a plain date."""
    if not _DATETIME_START.match(value):
        return parse_day(field, value, hint), None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(f"{field} '{shown(value)}' is not a valid date ({hint})") from None
    if moment.tzinfo is None and moment.time() == dt.time(0):
        return moment.date(), None
    return moment.date(), moment


def check_range(field: str, value: str, day: dt.date, latest: dt.date) -> None:
    """Refuse dates before 1900 (typos such as 0197) and dates after `latest`."""
    if day < EARLIEST:
        raise FieldError(f"{field} '{shown(value)}' is before 1900")
    if day > latest:
        raise FieldError(f"{field} '{shown(value)}' is in the future")
