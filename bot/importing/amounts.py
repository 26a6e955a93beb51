"""Money and counts as typed into spreadsheets, read by the bot's one amount parser.

`bot.text.amounts` decides what an amount is (the same for the import, `/crm purchase` and the
API): Babel in the business's locale, currency symbols ignored, rounded half-up to cents,
negative amounts refused (refunds go through `/crm refund`). A number cell of an XLSX file is
already a number: it is read as one, whatever the locale (`NumberCell`).
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale

from bot.text.amounts import InvalidAmount, parse_number
from bot.text.amounts import parse_amount as read_amount

from .errors import FieldError
from .text import NumberCell, shown

MAX_QUANTITY = 1_000_000


def _locale_for(value: str, locale: Locale | None) -> Locale | None:
    return None if isinstance(value, NumberCell) else locale


def parse_amount(value: str, locale: Locale | None) -> Decimal:
    """A non-negative amount with exactly two decimal places."""
    try:
        return read_amount(value, _locale_for(value, locale))
    except InvalidAmount as error:
        raise FieldError(str(error)) from None


def parse_quantity(value: str, locale: Locale | None) -> int:
    """A whole number of items, at least 1; 3.0 (a spreadsheet float) counts as 3."""
    try:
        number = parse_number(value, _locale_for(value, locale), what="quantity")
    except InvalidAmount as error:
        raise FieldError(str(error)) from None
    if number != number.to_integral_value():
        raise FieldError(f"quantity '{shown(value)}' is not a whole number")
    if number < 1:
        raise FieldError(f"quantity '{shown(value)}' must be at least 1")
    if number > MAX_QUANTITY:
        raise FieldError(f"quantity '{shown(value)}' is too large (at most {MAX_QUANTITY:,})")
    return int(number)
