"""Reading `/crm` arguments. A customer is one word (an id, a phone, a one-word name) or a quoted
name ("Ann Lee"); an unquoted name of several words works when a marker follows it
(`purchase Ann Lee 25`, `points Ann Lee +50 …`, `log Ann Lee call …`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale

from bot.services.errors import InvalidInput
from bot.text.amounts import InvalidAmount, is_currency, looks_like_amount, parse_amount
from handlers.slack.replies import UsageError

QUOTES = {'"': '"', "“": "”", "„": "“", "'": "'", "‘": "’", "「": "」", "『": "』"}
_DELTA = re.compile(r"^([+-])(\d{1,9})$")
_TOKEN = re.compile(r"\S+")
MAX_TEXT = 4000


def clean_input(raw: str) -> str:
    """Staff text made safe to store and search: control characters (NUL, escapes…) and lone
    surrogates removed, newlines and tabs kept (a NUL would end a SQLite LIKE pattern early)."""
    return "".join(ch for ch in raw if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()


def first_word(text: str) -> tuple[str, str]:
    """The subcommand (lower-cased) and the rest."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


def take_customer(text: str) -> tuple[str, str]:
    """A quoted name or the first word, and the rest."""
    text = text.strip()
    if not text:
        raise UsageError
    close = QUOTES.get(text[0])
    if close is not None:
        end = text.find(close, 1)
        if end <= 1:
            raise UsageError
        return text[1:end].strip(), text[end + 1 :].strip()
    word, _, rest = text.partition(" ")
    return word, rest.strip()


def whole_customer(text: str) -> str:
    """All of the text is the customer (`find`, `link`): a pair of quotes around it is optional."""
    text = text.strip()
    if not text:
        raise UsageError
    close = QUOTES.get(text[0])
    if close is not None and len(text) > 2 and text.endswith(close) and text[1:-1].strip():
        return text[1:-1].strip()
    return text


def customer_before(
    text: str, is_marker: Callable[[str], bool], *, max_words: int = 4
) -> tuple[str, str | None, str]:
    """(customer, marker or None, rest): an unquoted customer runs up to the first marker word after
    it, at most `max_words` words; without a marker there, the customer is the first word."""
    text = text.strip()
    if text and text[0] in QUOTES:
        customer, rest = take_customer(text)
        head, _, tail = rest.partition(" ")
        return (customer, head, tail.strip()) if head and is_marker(head) else (customer, None, rest)
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        raise UsageError
    for match in tokens[1 : max_words + 1]:
        if is_marker(match.group()):
            return text[: match.start()].strip(), match.group(), text[match.end() :].strip()
    return tokens[0].group(), None, text[tokens[0].end() :].strip()


@dataclass(frozen=True)
class PurchaseArgs:
    customer: str
    amount: Decimal
    note: str


def parse_purchase(text: str, locale: Locale) -> PurchaseArgs:
    """`CUSTOMER AMOUNT [NOTE]`; the amount is read as the import reads one (bot.text.amounts).

    The customer runs up to the first word written like an amount, valid or not, so `12,50` in
    a dot-decimal locale gets its reason instead of being taken for part of a name. A currency
    typed apart from the number (`NT$ 450`, `12,50 €`) belongs to the amount.
    """
    customer, word, note = customer_before(text, looks_like_amount)
    if word is None or not customer:
        raise UsageError
    head, _, last = customer.rpartition(" ")
    if head and is_currency(last):
        customer, word = head, f"{last} {word}"
    first, _, rest = note.partition(" ")
    if first and is_currency(first):
        word, note = f"{word} {first}", rest.strip()
    try:
        amount = parse_amount(word, locale)
    except InvalidAmount as error:
        raise InvalidInput(str(error)) from None
    return PurchaseArgs(customer, amount, note)


def parse_delta(word: str) -> int | None:
    """`+50` or `-20` (the sign is required, so a number in a name is never taken for points)."""
    match = _DELTA.match(word)
    if match is None:
        return None
    value = int(match.group(2))
    return value if match.group(1) == "+" else -value


@dataclass(frozen=True)
class PointsArgs:
    customer: str
    delta: int
    reason: str
    note: str
    quiet: bool


def parse_points(text: str) -> PointsArgs:
    """`CUSTOMER +N|-N REASON [--quiet] [| note for the customer]`."""
    customer, marker, rest = customer_before(text, lambda w: parse_delta(w) is not None)
    delta = parse_delta(marker or "")
    if delta is None or not customer:
        raise UsageError
    words = rest.split()
    quiet = "--quiet" in words
    rest = " ".join(w for w in words if w != "--quiet")
    reason, _, note = rest.partition("|")
    if not reason.strip():
        raise UsageError
    return PointsArgs(customer, delta, reason.strip()[:500], note.strip()[:MAX_TEXT], quiet)
