"""Phone numbers to E.164 (SPEC §2 DEFAULT_PHONE_REGION, §3 Telegram contacts)."""

from __future__ import annotations

import pytest

from bot.text.phone import InvalidPhoneNumber, normalize_phone, normalize_telegram_contact


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(202) 456-1111", "US", "+12024561111"),
        ("202.456.1111", "US", "+12024561111"),
        ("138 1234 5678", "CN", "+8613812345678"),
        ("0912-345-678", "TW", "+886912345678"),
        ("9123 4567", "HK", "+85291234567"),
        ("9123 4567", "hk", "+85291234567"),
    ],
)
def test_national_number_is_read_in_the_default_region(raw: str, region: str, e164: str) -> None:
    assert normalize_phone(raw, region) == e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("+886912345678", "+886912345678"),
    ],
)
def test_international_number_ignores_the_default_region(raw: str, e164: str) -> None:
    assert normalize_phone(raw, "US") == e164


@pytest.mark.parametrize("raw", ["hello", "", "12", "+999 123 456", "+1 555 0100", "1" * 300, "12ab34cd"])
def test_garbage_raises_invalid_phone_number(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone(raw, "US")
    assert "not a valid phone number" in str(caught.value)
    assert caught.value.reason


def test_invalid_phone_number_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalize_phone("nope", "US")


def test_unknown_default_region_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="unknown phone region"):
        normalize_phone("2024561111", "XX")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("8613812345678", "+8613812345678"),
        ("+8613812345678", "+8613812345678"),
        ("12024561111", "+12024561111"),
        (" 886912345678 ", "+886912345678"),
        ("88812345678", "+88812345678"),
    ],
)
def test_telegram_contact_without_plus_is_international(raw: str, e164: str) -> None:
    assert normalize_telegram_contact(raw) == e164


@pytest.mark.parametrize("raw", ["", "12", "abc", "1" * 20])
def test_garbage_telegram_contact_raises_and_quotes_what_was_sent(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_telegram_contact(raw)
    assert caught.value.raw == raw
