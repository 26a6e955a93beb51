"""`/crm` arguments under fuzzing: quoted and unquoted names, amounts and signed points read back as
written (nothing lost, nothing taken twice: a name never swallows the amount, the amount never
leaves a piece in the note), and any junk gets the usage line or a one-line reason, never a crash."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from babel.numbers import format_decimal
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.services.errors import InvalidInput
from bot.text.amounts import MAX_AMOUNT, amount_locale, is_currency, looks_like_amount
from handlers.slack.args import (
    QUOTES,
    clean_input,
    customer_before,
    first_word,
    parse_points,
    parse_purchase,
    take_customer,
    whole_customer,
)
from handlers.slack.replies import UsageError

LOCALES = {region: amount_locale(region) for region in ("US", "DE", "FR", "CH", "TW", "CN")}
QUOTE_CHARS = set(QUOTES) | set(QUOTES.values())
# Letters of the scripts staff type names in, digits, a few marks; no quotes, no '|'.
NAME_CHARS = st.characters(
    categories=("Lu", "Ll", "Lo", "Nd"), exclude_characters="".join(QUOTE_CHARS) + "|"
) | st.sampled_from(["-", ".", "·", "&"])
WORD = st.text(NAME_CHARS, min_size=1, max_size=12).filter(
    lambda w: not looks_like_amount(w) and not is_currency(w) and w == clean_input(w) and w.split() == [w]
)
NAME = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
ANY_WORD = WORD | st.text(NAME_CHARS, min_size=1, max_size=12)  # in quotes, any word may be a number
QUOTED_NAME = st.lists(ANY_WORD, min_size=1, max_size=6).map(" ".join)
AMOUNT = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2, allow_nan=False)
NOTE = st.lists(WORD, max_size=5).map(" ".join).filter(lambda n: not n or not is_currency(n.split()[0]))
OPEN = st.sampled_from(['"', "“", "„", "'", "‘", "「", "『"])


def written(amount: Decimal, region: str, style: str) -> str:
    """An amount as a person in `region` types it."""
    locale = LOCALES[region]
    match style:
        case "plain":
            return f"{amount:.2f}"
        case "grouped":
            return format_decimal(amount, format="#,##0.00", locale=locale)
        case "currency":
            return "$" + format_decimal(amount, format="#,##0.00", locale=locale)
        case "full-width":
            return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in f"{amount:.2f}")
    raise AssertionError(style)


def one_line_reason(error: Exception) -> None:
    assert str(error).strip(), "an empty reason"
    assert "\n" not in str(error), str(error)


@settings(max_examples=80)
@given(
    name=QUOTED_NAME,
    opening=OPEN,
    amount=AMOUNT,
    note=NOTE,
    region=st.sampled_from(sorted(LOCALES)),
    style=st.sampled_from(["plain", "grouped", "currency", "full-width"]),
)
def test_a_quoted_name_and_an_amount_read_back_as_written(
    name: str, opening: str, amount: Decimal, note: str, region: str, style: str
) -> None:
    text = clean_input(f"{opening}{name}{QUOTES[opening]} {written(amount, region, style)} {note}")
    args = parse_purchase(text, LOCALES[region])
    assert (args.customer, args.amount, args.note) == (name.strip(), amount, note.strip()), text


@settings(max_examples=80)
@given(name=NAME, amount=AMOUNT, note=NOTE, style=st.sampled_from(["plain", "grouped", "currency"]))
@example(name="Ann Lee", amount=Decimal("25.00"), note="two lattes", style="plain")
def test_an_unquoted_name_of_up_to_four_words_runs_up_to_the_amount(
    name: str, amount: Decimal, note: str, style: str
) -> None:
    text = f"{name} {written(amount, 'US', style)} {note}"
    args = parse_purchase(text, LOCALES["US"])
    assert (args.customer, args.amount, args.note) == (name, amount, note.strip()), text


@settings(max_examples=80)
@given(
    name=QUOTED_NAME,
    sign=st.sampled_from("+-"),
    points=st.integers(0, 999_999_999),
    reason=st.lists(WORD, min_size=1, max_size=6).map(" ".join),
    quiet=st.booleans(),
    note=st.lists(WORD, max_size=5).map(" ".join),
)
def test_points_with_a_quoted_name_read_back_as_written(
    name: str, sign: str, points: int, reason: str, quiet: bool, note: str
) -> None:
    text = f'"{name}" {sign}{points} {reason}{" --quiet" if quiet else ""}{f" | {note}" if note else ""}'
    args = parse_points(clean_input(text))
    delta = points if sign == "+" else -points
    assert (args.customer, args.delta, args.reason, args.note, args.quiet) == (
        name.strip(),
        delta,
        reason,
        note,
        quiet,
    ), text


@settings(max_examples=200)
@given(raw=st.text(max_size=120), region=st.sampled_from(sorted(LOCALES)))
@example(raw='"', region="US")
@example(raw='""', region="US")
@example(raw='"Ann 25', region="US")
@example(raw="Ann 1e400", region="US")
@example(raw="Ann 99999999999999999999999999", region="US")
@example(raw="Ann -5", region="US")
@example(raw="Ann NaN", region="US")
@example(raw="Ann ∞", region="US")
@example(raw="Ann ١٢٣", region="US")
@example(raw="Ann 1,2,3,4.5.6", region="DE")
@example(raw="Ann 12\n50", region="US")
@example(raw="Ann $", region="US")
@example(raw="「」 5", region="US")
def test_junk_gets_the_usage_line_or_a_one_line_reason_and_nothing_else(raw: str, region: str) -> None:
    """What `/crm purchase` and `/crm points` do with any text: arguments that make sense, or
    UsageError (the reply is the usage line) or InvalidInput (the reply is its one-line reason)."""
    _, text = first_word(clean_input("purchase " + raw))
    try:
        purchase = parse_purchase(text, LOCALES[region])
    except UsageError:
        pass
    except InvalidInput as error:
        one_line_reason(error)
    else:
        assert purchase.customer.strip()
        assert Decimal(0) <= purchase.amount < MAX_AMOUNT
        assert purchase.amount == purchase.amount.quantize(Decimal("0.01"))
    try:
        points = parse_points(text)
    except UsageError:
        pass
    else:
        assert points.customer.strip() and points.reason.strip()
        assert abs(points.delta) < 10**9
    for read in (take_customer, whole_customer, lambda t: customer_before(t, looks_like_amount)):
        with contextlib.suppress(UsageError):
            read(text)
