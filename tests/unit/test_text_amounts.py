"""The one amount parser (import, `/crm purchase`, the API): real inputs per business region."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.text.amounts import InvalidAmount, amount_locale, looks_like_amount, parse_amount, parse_number

EN_US = "as written in en_US (use a dot for decimals, e.g. 1,234.50)"
DE_DE = "as written in de_DE (use a comma for decimals, e.g. 1.234,50)"


@pytest.mark.parametrize(
    ("region", "locale"),
    [("US", "en_US"), ("GB", "en_GB"), ("DE", "de_DE"), ("FR", "fr_FR"), ("CH", "de_CH"),
     ("TW", "zh_Hant_TW"), ("CN", "zh_Hans_CN"), ("HK", "zh_Hant_HK"), ("JP", "ja_JP"), ("tw", "zh_Hant_TW"),
     ("AC", "en_US")],
)  # fmt: skip
def test_the_locale_follows_the_business_region(region: str, locale: str) -> None:
    assert str(amount_locale(region)) == locale


@pytest.mark.parametrize(
    ("region", "text", "amount"),
    [
        # United States / United Kingdom: dot decimals, comma thousands
        ("US", "1,234.50", "1234.50"),
        ("US", "12.5", "12.50"),
        ("US", "$1,234,567", "1234567.00"),
        ("US", "US$ 9", "9.00"),
        ("US", "12.50 USD", "12.50"),
        ("US", "usd12", "12.00"),
        ("US", "1 234.50", "1234.50"),
        ("US", "-0.00", "0.00"),
        ("US", "2.675", "2.68"),
        ("US", ".5", "0.50"),
        ("US", "+3", "3.00"),
        ("GB", "£3", "3.00"),
        # Germany, Netherlands, Brazil …: comma decimals, dot thousands
        ("DE", "1.234,50", "1234.50"),
        ("DE", "€12,50", "12.50"),
        ("DE", "12,50 €", "12.50"),
        ("DE", "12,50 EUR", "12.50"),
        ("DE", "1 234,50", "1234.50"),
        ("DE", "12.50", "12.50"),  # a machine number (till export) is still read
        ("BR", "R$ 1.234,56", "1234.56"),
        # France, Sweden: comma decimals, (no-break, thin) space thousands
        ("FR", "1 234,50", "1234.50"),
        ("FR", "1\u00a0234,50 €", "1234.50"),
        ("FR", "1\u202f234,50", "1234.50"),
        ("SE", "1 234,50 kr", "1234.50"),
        # Switzerland: apostrophe thousands, typed straight or curly
        ("CH", "CHF 1'234.50", "1234.50"),
        ("CH", "1’234.50", "1234.50"),
        # India: lakh grouping
        ("IN", "₹1,23,456.50", "123456.50"),
        # Chinese markets: currency prefixes and suffixes, full-width digits and separators
        ("CN", "¥1,280", "1280.00"),
        ("CN", "￥1,280.50", "1280.50"),
        ("CN", "１２３", "123.00"),
        ("CN", "￥１，２８０．５０", "1280.50"),
        ("CN", "１２３元", "123.00"),
        ("CN", "RMB 50", "50.00"),
        ("CN", "50 CNY", "50.00"),
        ("TW", "NT$ 450", "450.00"),
        ("TW", "NT$1,200", "1200.00"),
        ("TW", "450 NTD", "450.00"),
        ("TW", "１，２００元", "1200.00"),
        ("HK", "HK$88.8", "88.80"),
        ("JP", "￥1,280", "1280.00"),
        ("JP", "1,280円", "1280.00"),
    ],
)
def test_amounts_as_typed_in_each_region(region: str, text: str, amount: str) -> None:
    parsed = parse_amount(text, amount_locale(region))

    assert parsed == Decimal(amount) and str(parsed) == amount


@pytest.mark.parametrize(
    ("region", "text", "amount"),
    [("US", "1,234", "1234.00"), ("CN", "1,234", "1234.00"), ("DE", "1,234", "1.23"),
     ("US", "1.234", "1.23"), ("DE", "1.234", "1234.00"), ("FR", "1,234", "1.23")],
)  # fmt: skip
def test_a_separator_before_three_digits_follows_the_locale(region: str, text: str, amount: str) -> None:
    assert parse_amount(text, amount_locale(region)) == Decimal(amount)


@pytest.mark.parametrize(
    ("region", "text", "reason"),
    [
        ("US", "", "amount is empty"),
        ("US", "abc", "amount 'abc' is not a number"),
        ("US", "$", "amount '$' is not a number"),
        ("US", "1e3", "amount '1e3' is not a number"),
        ("US", "NaN", "amount 'NaN' is not a number"),
        ("US", "Infinity", "amount 'Infinity' is not a number"),
        ("US", "1_000", "amount '1_000' is not a number"),
        ("US", "EURO5", "amount 'EURO5' is not a number"),
        ("US", "12,50", f"amount '12,50' is not a number {EN_US}"),
        ("US", "1,23.00", f"amount '1,23.00' is not a number {EN_US}"),
        ("DE", "1,234.50", f"amount '1,234.50' is not a number {DE_DE}"),
        ("US", "-12.50", "amount '-12.50' is negative; refunds go through /crm refund ORDER_ID"),
        ("US", "(12.50)", "amount '(12.50)' is negative; refunds go through /crm refund ORDER_ID"),
        ("US", "-$12.50", "amount '-$12.50' is negative; refunds go through /crm refund ORDER_ID"),
        ("US", "$-12.50", "amount '$-12.50' is negative; refunds go through /crm refund ORDER_ID"),
        ("US", "12.50-", "amount '12.50-' is negative; refunds go through /crm refund ORDER_ID"),
        ("SE", "−12,50", "amount '−12,50' is negative; refunds go through /crm refund ORDER_ID"),
        ("CN", "－１２", "amount '－１２' is negative; refunds go through /crm refund ORDER_ID"),
        ("US", "99999999999", "amount '99999999999' is too large (at most 9,999,999,999.99)"),
    ],
)  # fmt: skip
def test_unusable_amounts_say_why(region: str, text: str, reason: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text, amount_locale(region))

    assert str(caught.value) == reason


def test_without_a_locale_only_machine_numbers_are_read() -> None:
    assert parse_amount("1.234", None) == Decimal("1.23")
    assert parse_amount("1234.5", None) == Decimal("1234.50")
    with pytest.raises(InvalidAmount, match=r"is not a number \(write it like 1234.50\)"):
        parse_amount("1,234", None)


def test_numbers_without_currency_keep_their_sign_and_digits() -> None:
    assert parse_number("-3.0", amount_locale("DE"), what="quantity") == Decimal("-3.0")
    assert parse_number("1.000", amount_locale("DE"), what="quantity") == Decimal("1000")
    with pytest.raises(InvalidAmount, match="quantity '\\$3' is not a number"):
        parse_number("$3", amount_locale("US"), what="quantity")


@pytest.mark.parametrize(
    ("word", "expected"),
    [("25", True), ("25,50", True), ("-5", True), ("NT$450", True), ("¥１２", True), ("1.234,5", True),
     ("2nd", False), ("C2", False), ("Lee", False), ("$", False), ("--quiet", False)],
)  # fmt: skip
def test_words_written_like_amounts(word: str, expected: bool) -> None:
    assert looks_like_amount(word) is expected
