"""Money as people type it, read one way everywhere: the import, `/crm purchase`, the API.

The number is read by Babel (`parse_decimal`, strict) in one locale: the business's, derived from
DEFAULT_PHONE_REGION (US → en_US, DE → de_DE, TW → zh_Hant_TW …, see `amount_locale`). So the
separators must sit where that locale puts them, and a text that means different things in
different places follows the locale: `1,234` is 1234 in en_US and zh_*, and 1.234 (rounded to
1.23) in de_DE; `1.234` is 1.234 → 1.23 in en_US and 1234 in de_DE. Around Babel:

- full-width characters (１２３，５０, ￥, －) are read as their ASCII forms (NFKC);
- one currency symbol or ISO code before and/or after the number is ignored ($, NT$, ¥, €, 元,
  EUR, kr …): `$` and `¥` name several currencies, so a symbol never chooses the currency;
- any space (also no-break and thin spaces) between digit groups is a thousands separator in
  every locale, and ’ and ' are the same where the locale groups with an apostrophe (de_CH);
- a text the locale cannot read but that is a plain machine number (digits, one dot, digits:
  `12.50`) is read as such in every locale: tills, shops, APIs and spreadsheet number cells write
  that whatever the locale;
- amounts are rounded half-up to cents; negative ones (`-5`, `(5)`, `5-`) are refused, refunds go
  through `/crm refund`.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
    parse_decimal,
)

CENT: Final = Decimal("0.01")
MAX_AMOUNT: Final = Decimal("10000000000")  # fits NUMERIC(12, 2)
FALLBACK_LOCALE: Final = "en_US"

# Longest first, so NT$ is taken before $. Letters compare case-insensitively.
_SYMBOLS: Final = tuple(
    sorted(
        ("US$", "NT$", "HK$", "MOP$", "NZ$", "S$", "A$", "C$", "R$", "$", "¥", "€", "£", "₩", "₹", "₽",
         "₫", "฿", "₪", "₺", "元", "円", "圓", "块", "塊", "kr", "zł", "Kč", "Fr.", "RM", "Rp"),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_CODE_ALIASES: Final = ("RMB", "NTD")
_MINUS: Final = "-\u2212"  # ASCII hyphen-minus and the Unicode minus sign some locales print
_SPACES: Final = re.compile(r"\s+")
_APOSTROPHES: Final = "'’"
_SHAPE: Final = re.compile(r"[0-9.,'’ ]*[0-9][0-9.,'’ ]*")
_MACHINE: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_PLAIN: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_LONGEST: Final = 4  # the longest symbol (MOP$); ISO codes have 3 letters
_SHOWN: Final = 40
_DECIMAL_NAMES: Final = {".": "a dot", ",": "a comma"}


class InvalidAmount(ValueError):
    """Text that is not a usable amount; `str()` is the reason, naming the value as typed."""


@cache
def amount_locale(region: str) -> Locale:
    """The locale whose way of writing numbers a business in `region` (ISO country code) uses.

    Babel's likely-subtags data picks the region's main language: US → en_US, DE → de_DE,
    FR → fr_FR, CH → de_CH, TW → zh_Hant_TW, CN → zh_Hans_CN. A region Babel does not know
    falls back to en_US (dot decimals, comma thousands).
    """
    try:
        locale = Locale.parse(f"und_{region.strip().upper()}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK_LOCALE)
    return locale if locale.territory else Locale.parse(FALLBACK_LOCALE)


def parse_amount(text: str, locale: Locale | str | None, *, what: str = "amount") -> Decimal:
    """A non-negative amount with exactly two decimal places, or InvalidAmount saying why.

    `locale` None reads only plain machine numbers (`1234.5`), as spreadsheet number cells and
    JSON give them. `what` names the value in the reason ("amount '12,50' is not a number …").
    """
    locale = _locale(locale)
    plain = _plain(text, locale)
    if plain is not None:
        negative, amount = False, plain
    else:
        negative, number = _unsigned(text, currency=True)
        amount = _number(text, number, locale, what)
    if negative and amount != 0:
        raise InvalidAmount(f"{what} '{_shown(text)}' is negative; refunds go through /crm refund ORDER_ID")
    if amount >= MAX_AMOUNT:
        raise InvalidAmount(f"{what} '{_shown(text)}' is too large (at most 9,999,999,999.99)")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_number(text: str, locale: Locale | str | None, *, what: str) -> Decimal:
    """A signed number written as `parse_amount` reads one, without currency and without rounding."""
    locale = _locale(locale)
    plain = _plain(text, locale)
    if plain is not None:
        return plain
    negative, number = _unsigned(text, currency=False)
    value = _number(text, number, locale, what)
    return -value if negative else value


def looks_like_amount(word: str) -> bool:
    """Whether a word is written like an amount (digits, separators, a sign, a currency), valid or not.

    `/crm purchase Ann Lee 12,50` uses it to find where the customer's name ends, so that an
    amount the locale cannot read gets its reason instead of being taken for part of a name.
    """
    _, number = _unsigned(word, currency=True)
    return bool(_SHAPE.fullmatch(number))


def is_currency(word: str) -> bool:
    """Whether a word is only a currency symbol or code (`NT$`, `€`, `EUR`), as in `NT$ 450`."""
    return unicodedata.normalize("NFKC", word).strip().casefold() in _tokens()


def _locale(locale: Locale | str | None) -> Locale | None:
    return Locale.parse(locale) if isinstance(locale, str) else locale


def _plain(text: str, locale: Locale | None) -> Decimal | None:
    """The quick answer for the common `1234` or `12.50`, where no locale could read it otherwise:
    a dot is a decimal point unless the locale groups thousands with dots (1.234 in de_DE)."""
    if _PLAIN.fullmatch(text) and ("." not in text or locale is None or _group(locale) != "."):
        return Decimal(text)
    return None


@cache
def _group(locale: Locale) -> str:
    return get_group_symbol(locale)


def _unsigned(text: str, *, currency: bool) -> tuple[bool, str]:
    """Split off signs, accounting parentheses and currency symbols, in any usual order."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    for _ in range(2):  # "-$5" and "$-5" are both seen in the wild
        if text[:1] in ("+", *_MINUS):
            negative, text = negative or text[0] != "+", text[1:].lstrip()
        if currency:
            text = _drop_currency(text, at_end=False)
    if currency:
        text = _drop_currency(text, at_end=True)
    if text[-1:] in _MINUS:  # 12.50- : the trailing minus of accounting exports
        negative, text = True, text[:-1].rstrip()
    return negative, text


def _drop_currency(text: str, *, at_end: bool) -> str:
    """`text` without one currency symbol or ISO code at its start (or end), if it has one."""
    edge = text[-1:] if at_end else text[:1]
    if not edge or edge.isdigit():
        return text  # the usual case: nothing to drop
    folded, tokens = text.casefold(), _tokens()
    for size in range(min(_LONGEST, len(text) - 1), 0, -1):
        token = tokens.get(folded[-size:] if at_end else folded[:size])
        if token is None:
            continue
        beside = text[-size - 1] if at_end else text[size]
        if token[0 if at_end else -1].isalpha() and beside.isalpha():
            continue  # part of a word ("EURO5"), not a code followed by a number
        return (text[:-size] if at_end else text[size:]).strip()
    return text


@cache
def _tokens() -> dict[str, str]:
    """Currency symbols and ISO codes by their case-folded form."""
    return {token.casefold(): token for token in (*_SYMBOLS, *sorted(list_currencies()), *_CODE_ALIASES)}


def _number(text: str, number: str, locale: Locale | None, what: str) -> Decimal:
    if not text.strip():
        raise InvalidAmount(f"{what} is empty")
    if not _SHAPE.fullmatch(number):
        raise InvalidAmount(f"{what} '{_shown(text)}' is not a number")
    if locale is not None:
        try:
            return parse_decimal(_in_locale(number, locale), locale, strict=True)
        except NumberFormatError:
            pass
    if _MACHINE.fullmatch(number):
        return Decimal(number)
    raise InvalidAmount(f"{what} '{_shown(text)}' is not a number{_hint(locale)}")


def _in_locale(number: str, locale: Locale) -> str:
    """Spaces and apostrophes between digit groups written as the locale's group separator."""
    group = _group(locale)
    number = number.replace(" ", group)
    if group in _APOSTROPHES:
        number = number.replace("'", group).replace("’", group)
    return number


def _hint(locale: Locale | None) -> str:
    if locale is None:
        return " (write it like 1234.50)"
    decimal = get_decimal_symbol(locale)
    name = _DECIMAL_NAMES.get(decimal, f"'{decimal}'")
    example = format_decimal(Decimal("1234.50"), format="#,##0.00", locale=locale)
    return f" as written in {locale} (use {name} for decimals, e.g. {example})"


def _shown(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…"
