"""Reading `/crm` arguments: quoted and multi-word customers, amounts, signed points, control characters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.slack.args import (
    PointsArgs,
    clean_input,
    customer_before,
    parse_amount,
    parse_delta,
    parse_points,
    take_customer,
    whole_customer,
)
from handlers.slack.replies import UsageError


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
    is_amount = lambda w: parse_amount(w) is not None  # noqa: E731
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
    ("word", "amount"),
    [("25", Decimal("25.0")), ("25.5", Decimal("25.5")), ("25,50", Decimal("25.50")), ("$0", Decimal("0")),
     ("-5", None), ("1e3", None), ("25.505", None), ("12345678901", None)],
)  # fmt: skip
def test_amounts(word: str, amount: Decimal | None) -> None:
    assert parse_amount(word) == amount


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
