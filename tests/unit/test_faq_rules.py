"""`[[faq]]` in the rules file: the shape, a missing language filled in, and errors that name the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.rules import RulesFileError, load_rules


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_chinese_script_is_converted_and_a_missing_english_falls_back(tmp_path: Path) -> None:
    rules = load_rules(
        _rules(
            tmp_path,
            '[[faq]]\nquestions = ["营业时间"]\nanswer = { zh-Hans = "周一至周六营业，周日休息。" }\n'
            '[[faq]]\nquestions = ["地址"]\n'
            'answer = { zh-Hant = "海港街 12 號，郵局旁邊。", en = "12 Harbour St." }\n',
        )
    )
    hours, address = rules.faq
    assert hours.answer.for_language("zh-Hans") == "周一至周六营业，周日休息。"
    assert hours.answer.for_language("zh-Hant") == "週一至週六營業，週日休息。"
    assert hours.answer.for_language("en") == "周一至周六营业，周日休息。"  # no English: the Chinese there is
    assert address.answer.for_language("zh-Hans") == "海港街 12 号，邮局旁边。"
    assert address.answer.for_language("en") == "12 Harbour St."
    assert hours.id == "营业时间" and address.id == "地址"  # no key: the first question names it


def test_english_only_answers_every_language_in_english(tmp_path: Path) -> None:
    (entry,) = load_rules(
        _rules(
            tmp_path,
            '[[faq]]\nkey = "wifi"\nquestions = ["wifi password"]\nanswer = { en = "On your receipt." }\n',
        )
    ).faq
    assert {entry.answer.for_language(lang) for lang in ("en", "zh-Hans", "zh-Hant")} == {"On your receipt."}
    assert entry.id == "wifi"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[faq]]\nquestions = ["a"]\nanswer = { en = "x" }\n'
            '[[faq]]\nquestions = ["where are you"]\nanswer = {}\n',
            r"faq entry 2 \('where are you'\): answer: needs at least one of en, zh-Hans, zh-Hant",
        ),
        (
            '[[faq]]\nquestions = ["opening hours"]\nanswer = { en = "x", zh-hans = "y" }\n',
            r"faq entry 1 \('opening hours'\): answer\.zh-hans: Extra inputs are not permitted",
        ),
        ('[[faq]]\nquestions = []\nanswer = { en = "x" }\n', r"faq entry 1: questions: .*at least 1"),
        (
            '[[faq]]\nquestions = ["hours", "  "]\nanswer = { en = "x" }\n',
            r"faq entry 1 \('hours'\): questions: .*empty",
        ),
        (
            '[[faq]]\nquestions = ["Where are you"]\nanswer = { en = "x" }\n'
            '[[faq]]\nquestions = ["where  are you"]\nanswer = { en = "y" }\n',
            r"faq entries 1 and 2 are both named 'where are you': give one a distinct key",
        ),
        (
            '[[faq]]\nkey = "Opening Hours"\nquestions = ["x"]\nanswer = { en = "x" }\n',
            r"faq entry 1 \('x'\): key",
        ),
    ],
)
def test_a_bad_entry_is_one_line_naming_it(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(RulesFileError, match=expected) as raised:
        load_rules(_rules(tmp_path, text))
    assert "\n" not in str(raised.value)
