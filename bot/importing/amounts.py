"""Money and counts as typed into spreadsheets.

Amounts: a dot is the decimal separator; commas are accepted only as thousands separators in
proper groups (1,234.50), so a European 12,50 is refused instead of silently read as 1250.
A leading currency symbol ($, US$, NT$, HK$, S$, A$, C$, ¥, ￥, €, £) or a trailing 元 is
accepted and ignored: `$` and `¥` name several currencies, so only the `currency` column says
which one. Amounts are rounded half-up to cents. Negative amounts, including accounting-style
(12.50), are refused: refunds go through `/crm refund`.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from .errors import FieldError
from .text import shown

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("10000000000")  # fits NUMERIC(12, 2)
MAX_QUANTITY = 1_000_000

_SYMBOLS = ("US$", "NT$", "HK$", "S$", "A$", "C$", "$", "¥", "￥", "€", "£")
_SUFFIXES = ("元",)
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")


def _unsigned(text: str) -> tuple[bool, str]:
    """Split off a sign, accounting parentheses and a currency symbol, in any usual order."""
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    for _ in range(2):  # "-$5" and "$-5" are both seen in the wild
        if text[:1] in ("-", "+"):
            negative, text = negative or text[0] == "-", text[1:].strip()
        symbol = next((s for s in _SYMBOLS if text.upper().startswith(s)), None)
        if symbol:
            text = text[len(symbol) :].strip()
    for suffix in _SUFFIXES:
        text = text.removesuffix(suffix).strip()
    return negative, text


def _number(field: str, value: str, text: str) -> Decimal:
    if _NUMBER.fullmatch(text):
        return Decimal(text.replace(",", ""))
    if _DECIMAL_COMMA.fullmatch(text):
        raise FieldError(f"{field} '{shown(value)}' is not a number (use a dot for decimals, e.g. 12.50)")
    raise FieldError(f"{field} '{shown(value)}' is not a number")


def parse_amount(value: str) -> Decimal:
    """A non-negative amount with exactly two decimal places."""
    negative, text = _unsigned(value)
    amount = _number("amount", value, text)
    if negative and amount != 0:
        raise FieldError(
            f"amount '{shown(value)}' is negative; refunds go through /crm refund ORDER_ID, not the import"
        )
    if amount >= MAX_AMOUNT:
        raise FieldError(f"amount '{shown(value)}' is too large (at most 9,999,999,999.99)")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_quantity(value: str) -> int:
    """A whole number of items, at least 1; 3.0 (a spreadsheet float) counts as 3."""
    negative, text = (value.startswith("-"), value.removeprefix("-").removeprefix("+").strip())
    number = _number("quantity", value, text)
    if number != number.to_integral_value():
        raise FieldError(f"quantity '{shown(value)}' is not a whole number")
    if negative or number < 1:
        raise FieldError(f"quantity '{shown(value)}' must be at least 1")
    if number > MAX_QUANTITY:
        raise FieldError(f"quantity '{shown(value)}' is too large (at most {MAX_QUANTITY:,})")
    return int(number)
