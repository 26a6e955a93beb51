"""Reading `/crm` arguments: quoted and multi-word customers, amounts, signed points, control characters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.services.errors import InvalidInput
from bot.text.amounts import amount_locale, looks_like_amount
from handlers.slack.args import (
    PointsArgs,
    PurchaseArgs,
    clean_input,
    customer_before,
    parse_delta,
    parse_points,
    parse_purchase,
    take_customer,
    whole_customer,
)
from handlers.slack.replies import UsageError

US = amount_locale("US")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C1 rest of it", ("C1", "rest of it")),
        ('"Ann Lee" +5 x', ("Ann Lee", "+5 x")),
        ("“Ann Lee” C2", ("Ann Lee", "C2")),
        ("「王小明」 C2", ("王小明", "C2")),
    ],
)
def test_take_customer_reads_a_word_or_a_quoted_name(text: str, expected: tuple[str, str]) -> None:
    assert take_customer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("Ann Lee", "Ann Lee"), ('"Ann Lee"', "Ann Lee"), ("'Ann", "'Ann")]
)
def test_whole_customer_takes_everything_with_optional_quotes(text: str, expected: str) -> None:
    assert whole_customer(text) == expected


def test_a_multi_word_name_runs_up_to_the_marker() -> None:
    is_amount = looks_like_amount
    assert customer_before("Ann Lee 25.50 two lattes", is_amount) == ("Ann Lee", "25.50", "two lattes")
    assert customer_before("1001 25", is_amount) == ("1001", "25", "")
    assert customer_before("C1 she will call back", lambda w: w == "call", max_words=3) == (
        "C1 she will",
        "call",
        "back",
    )
    assert customer_before("C1 she said she would call", lambda w: w == "call", max_words=3) == (
        "C1",
        None,
        "she said she would call",
    )


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("C1 25", "US", ("C1", "25.00", "")),
        ("Ann Lee 1,234.50 two lattes", "US", ("Ann Lee", "1234.50", "two lattes")),
        ("C1 $0", "US", ("C1", "0.00", "")),
        ("C1 NT$ 450 bubble tea", "TW", ("C1", "450.00", "bubble tea")),
        ("王小明 ￥１，２８０ 蛋糕", "CN", ("王小明", "1280.00", "蛋糕")),
        ("C1 12,50 € two coffees", "DE", ("C1", "12.50", "two coffees")),
        ("C1 1.234,50", "DE", ("C1", "1234.50", "")),
        ("C1 25.505", "US", ("C1", "25.51", "")),
    ],
)
def test_purchase_amounts_are_read_in_the_business_locale(
    text: str, region: str, expected: tuple[str, str, str]
) -> None:
    customer, amount, note = expected
    assert parse_purchase(text, amount_locale(region)) == PurchaseArgs(customer, Decimal(amount), note)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("C1 25,50", "amount '25,50' is not a number as written in en_US"),
        ("C1 -5", "amount '-5' is negative; refunds go through /crm refund ORDER_ID"),
        ("C1 12345678901", "amount '12345678901' is too large"),
    ],
)
def test_a_purchase_amount_that_cannot_be_read_says_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_purchase(text, US)

    assert str(caught.value).startswith(reason)


@pytest.mark.parametrize("text", ["C1", "C1 lunch", "C1 1e3", "25", ""])
def test_a_purchase_without_customer_or_amount_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        parse_purchase(text, US)


def test_points_need_a_sign_and_a_reason_and_may_be_quiet_with_a_note() -> None:
    assert parse_delta("50") is None and parse_delta("+50") == 50 and parse_delta("-7") == -7
    assert parse_points("Ann Lee +50 late delivery --quiet | Sorry!") == PointsArgs(
        "Ann Lee", 50, "late delivery", "Sorry!", True
    )
    for bad in ("C1 50 goodwill", "C1 +50", "C1 +50 --quiet", "+50 reason"):
        with pytest.raises(UsageError):
            parse_points(bad)


def test_control_characters_are_removed_but_lines_kept() -> None:
    assert clean_input(" a\x00b\x1b[31m\nc\td\ud800 ") == "ab[31m\nc\td"
