"""Typed survey answers (SPEC §3): what counts as a score and what gets a polite re-ask."""

from __future__ import annotations

import pytest

from bot.text.nps_answer import parse_score


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ("9", 9),
        ("9/10", 9),
        (" 9 / 10 ", 9),
        ("9 out of 10", 9),
        ("10/10", 10),
        ("ten out of ten", 10),
        ("nine", 9),
        ("Nine!", 9),
        ("I'd say 8", 8),
        ("10!", 10),
        ("0", 0),
        ("zero", 0),
        ("nine (9)", 9),
        ("I give it a 10 - great coffee", 10),
    ],
)
def test_latin_answer_counts_as_its_score(answer: str, score: int) -> None:
    assert parse_score(answer) == score


def test_full_width_nine_counts_as_nine() -> None:
    assert parse_score("９") == 9


def test_full_width_ten_counts_as_ten() -> None:
    assert parse_score("１０") == 10


def test_full_width_fraction_counts_as_its_numerator() -> None:
    assert parse_score("９／１０") == 9


@pytest.mark.parametrize(("answer", "score"), [("⑨", 9), ("9️⃣", 9), ("٩", 9), ("Ｎｉｎｅ", 9)])
def test_other_unicode_forms_of_a_digit_count(answer: str, score: int) -> None:
    assert parse_score(answer) == score


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ("九", 9),
        ("十", 10),
        ("零", 0),
        ("七分", 7),
        ("8分", 8),
        ("我给9分", 9),
        ("我給9分", 9),
        ("我给九分", 9),
        ("十分", 10),
        ("十分！", 10),
        ("打零分", 0),
        ("九。", 9),
        ("满分10分，我给9分", 9),
        ("滿分十分，我給八分", 8),
        ("服务一般，给6分", 6),
        ("等了十分钟，给八分", 8),
    ],
)
def test_chinese_answer_counts_as_its_score(answer: str, score: int) -> None:
    assert parse_score(answer) == score


@pytest.mark.parametrize("answer", ["两", "两分", "兩分", "我给两分"])
def test_liang_counts_as_two_in_simplified_and_traditional(answer: str) -> None:
    assert parse_score(answer) == 2


def test_shifen_as_the_adverb_very_is_not_ten() -> None:
    assert parse_score("十分满意") is None


@pytest.mark.parametrize("answer", ["一般", "第一", "一般般吧"])
def test_numeral_inside_a_chinese_word_is_not_a_score(answer: str) -> None:
    assert parse_score(answer) is None


@pytest.mark.parametrize(
    "answer",
    [
        "between 7 and 8",
        "7-8",
        "7 or 8",
        "this one is a 9",
        "10000",
        "-3",
        "－３",
        "11",
        "十一",
        "二十",
        "一百分",
        "7.5",
        "7,5",
        "10,000",
        "3/5",
        "",
        "   ",
        "😀",
        "👍👍",
        "great!",
        "nineteen",
        "often",
    ],
)
def test_ambiguous_or_out_of_range_answer_is_rejected(answer: str) -> None:
    assert parse_score(answer) is None


def test_enormous_number_is_rejected_without_error() -> None:
    assert parse_score("9" * 10_000) is None


def test_long_text_with_one_score_is_read_quickly() -> None:
    assert parse_score("lovely staff " * 700 + "so 9") == 9


@pytest.mark.parametrize(("answer", "score"), [("4", 4), ("4/5", 4), ("five", 5), ("一分", 1), ("五分", 5)])
def test_csat_range_accepts_one_to_five(answer: str, score: int) -> None:
    assert parse_score(answer, low=1, high=5) == score


@pytest.mark.parametrize("answer", ["0", "6", "9/10", "10"])
def test_csat_range_rejects_scores_outside_one_to_five(answer: str) -> None:
    assert parse_score(answer, low=1, high=5) is None
