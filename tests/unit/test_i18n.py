"""Language choice (SPEC §3) and the translator: messages, plurals, dates and numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.i18n import (
    LANGUAGE_NAMES,
    SUPPORTED,
    format_date,
    format_decimal,
    language_from_telegram,
    parse_language,
    translator,
)


@pytest.mark.parametrize(
    ("language_code", "language"),
    [
        ("zh", "zh-Hans"),
        ("zh-hans", "zh-Hans"),
        ("zh-cn", "zh-Hans"),
        ("zh-sg", "zh-Hans"),
        ("zh-hant", "zh-Hant"),
        ("zh-tw", "zh-Hant"),
        ("zh-hk", "zh-Hant"),
        ("zh-mo", "zh-Hant"),
        ("en", "en"),
        ("en-US", "en"),
        ("en-gb", "en"),
        ("ZH-TW", "zh-Hant"),
        ("zh_CN", "zh-Hans"),
        ("zh_Hant_HK", "zh-Hant"),
        ("zh-Hans-HK", "zh-Hans"),
        ("EN_au", "en"),
    ],
)
def test_telegram_language_code_maps_to_the_spec_language(language_code: str, language: str) -> None:
    assert language_from_telegram(language_code, default="en") == language


@pytest.mark.parametrize("language_code", [None, "", "fr", "de-DE", "ja", "zh-my", "eng", "ar"])
def test_any_other_language_code_gets_the_default_language(language_code: str | None) -> None:
    assert language_from_telegram(language_code, default="zh-Hant") == "zh-Hant"
    assert language_from_telegram(language_code, default="en") == "en"


def test_unsupported_default_language_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="default language"):
        language_from_telegram("fr", default="fr")


@pytest.mark.parametrize(
    ("value", "language"),
    [("en", "en"), ("EN", "en"), ("zh-Hans", "zh-Hans"), ("zh_hans", "zh-Hans"), ("ZH-HANT", "zh-Hant")],
)
def test_supported_language_is_recognised_in_any_spelling(value: str, language: str) -> None:
    assert parse_language(value) == language


@pytest.mark.parametrize("value", [None, "", "fr", "zh", "zh-tw"])
def test_unsupported_language_is_not_recognised(value: str | None) -> None:
    assert parse_language(value) is None


def test_every_language_has_its_own_name_for_the_language_menu() -> None:
    assert set(LANGUAGE_NAMES) == set(SUPPORTED)


def test_nps_question_names_the_business_in_each_language() -> None:
    questions = {
        lang: translator(lang).format("survey.nps.question", business="Café Lumen") for lang in SUPPORTED
    }
    assert questions["en"].startswith("How likely are you to recommend Café Lumen to a friend or colleague?")
    assert "推荐Café Lumen" in questions["zh-Hans"]
    assert "推薦Café Lumen" in questions["zh-Hant"]


@pytest.mark.parametrize("language", ["fr", None, "", "klingon"])
def test_missing_language_falls_back_to_english(language: str | None) -> None:
    assert translator(language).language == "en"
    assert translator(language).gettext("common.cancel") == "Cancel"


def test_translator_is_cached_per_language() -> None:
    assert translator("zh-Hant") is translator("zh_hant")


def test_english_plural_follows_the_count() -> None:
    t = translator("en")
    assert t.nformat("points.balance", 1, points="1") == "You have 1 point to spend."
    assert t.nformat("points.balance", 250, points="250") == "You have 250 points to spend."


def test_chinese_has_one_form_for_every_count() -> None:
    t = translator("zh-Hans")
    assert t.nformat("points.balance", 1, points="1") == "可用积分：1"
    assert t.nformat("points.balance", 250, points="250") == "可用积分：250"


def test_traditional_chinese_uses_taiwan_wording() -> None:
    t = translator("zh-Hant")
    assert "點數" in t.gettext("points.header")
    assert "優惠券" in t.gettext("rewards.coupon")
    assert "訊息" in t.gettext("help.footer")


def test_unknown_message_id_comes_back_unchanged() -> None:
    assert translator("zh-Hans").gettext("no.such.message") == "no.such.message"


def test_dates_are_written_the_way_each_language_writes_them() -> None:
    day = date(2026, 12, 1)
    assert format_date(day, "en") == "December 1, 2026"
    assert format_date(day, "zh-Hans") == "2026年12月1日"
    assert format_date(day, "zh-Hant") == "2026年12月1日"
    assert translator("en").format_date(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == "December 1, 2026"


def test_numbers_are_grouped_for_each_language() -> None:
    assert format_decimal(1234567, "en") == "1,234,567"
    assert format_decimal(Decimal("1234.5"), "zh-Hant") == "1,234.5"
    assert translator("zh-Hans").format_decimal(12.5) == "12.5"
