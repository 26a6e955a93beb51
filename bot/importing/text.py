"""Cleaning raw cell text before it is parsed, and quoting it safely in messages."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from .errors import FieldError

# Line breaks and tabs inside a cell (Alt+Enter in Excel) become spaces so words stay apart;
# every other control character, and the invisible bidi / zero-width marks that can disguise
# text, are dropped: they never belong in names, ids or numbers.
_SPACES = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"
_INVISIBLE = "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_CLEAN_TABLE: dict[int, str | None] = {
    **{code: None for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]},
    **{ord(char): None for char in _INVISIBLE},
    **{ord(char): " " for char in _SPACES},
}

SHOWN_LIMIT = 40


class NumberCell(str):
    """The text of a spreadsheet number cell (`1234.5`, `45296`): a plain number, never grouped or
    localised. Amounts read it without the locale; in a date column it is an Excel serial day
    counted from `epoch` (1899-12-30 in the 1900 date system Excel uses by default)."""

    epoch: ClassVar[dt.datetime] = dt.datetime(1899, 12, 30)


def clean(value: str) -> str:
    """The value without control or invisible characters and surrounding whitespace."""
    return value.translate(_CLEAN_TABLE).strip()


def shown(value: str) -> str:
    """The value as quoted in a one-line message: cleaned and cut short."""
    value = clean(value)
    return value if len(value) <= SHOWN_LIMIT else value[: SHOWN_LIMIT - 1] + "…"


def within_limit(field: str, value: str, limit: int) -> str:
    """The value, or a FieldError naming the field when it is longer than `limit`."""
    if len(value) > limit:
        raise FieldError(f"{field} is {len(value):,} characters long (at most {limit})")
    return value
