"""Validating cell values: amounts, dates, phones, emails, languages, tags, hostile text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from bot.importing import BadRow, CustomerRecord, PurchaseRecord, read_customers, read_purchases

TODAY = dt.date(2026, 1, 1)
US_HINT = "use a dot for decimals, e.g. 1,234.50"


def csv_file(tmp_path: Path, header: list[str], row: list[str]) -> Path:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    path = tmp_path / "file.csv"
    path.write_text(",".join(header) + "\n" + ",".join(quote(c) for c in row) + "\n", encoding="utf-8")
    return path


def purchase(tmp_path: Path, region: str = "US", **values: str) -> PurchaseRecord | BadRow:
    row = {"customer_id": "00001", "date": "1997-01-01", "amount": "1.00", **values}
    result = read_purchases(
        csv_file(tmp_path, list(row), list(row.values())), default_region=region, today=TODAY
    )
    return result.records[0][1] if result.records else result.bad_rows[0]


def customer(tmp_path: Path, region: str = "US", **values: str) -> CustomerRecord | BadRow:
    row = {"customer_id": "00001", **values}
    result = read_customers(
        csv_file(tmp_path, list(row), list(row.values())), default_region=region, today=TODAY
    )
    return result.records[0][1] if result.records else result.bad_rows[0]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("11.77", "11.77"),
        ("0", "0.00"),
        ("-0.00", "0.00"),
        ("12.5", "12.50"),
        ("1,234.50", "1234.50"),
        ("1,234,567", "1234567.00"),
        ("$12.50", "12.50"),
        ("US$ 9", "9.00"),
        ("NT$1,200", "1200.00"),
        ("HK$88.8", "88.80"),
        ("¥88", "88.00"),
        ("￥88", "88.00"),
        ("€7.10", "7.10"),
        ("£3", "3.00"),
        ("100元", "100.00"),
        ("0.005", "0.01"),
        ("2.675", "2.68"),
        ("12.344", "12.34"),
        (".5", "0.50"),
        ("+3", "3.00"),
    ],
)
def test_accepted_amount_formats_become_decimals_with_two_places(
    tmp_path: Path, text: str, amount: str
) -> None:
    record = purchase(tmp_path, amount=text)

    assert isinstance(record, PurchaseRecord)
    assert record.amount == Decimal(amount)
    assert str(record.amount) == amount


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "amount 'abc' is not a number"),
        ("12,50", f"amount '12,50' is not a number as written in en_US ({US_HINT})"),
        ("1,23.00", f"amount '1,23.00' is not a number as written in en_US ({US_HINT})"),
        ("1e3", "amount '1e3' is not a number"),
        ("NaN", "amount 'NaN' is not a number"),
        ("Infinity", "amount 'Infinity' is not a number"),
        ("$", "amount '$' is not a number"),
        ("", "amount is required"),
        ("99999999999", "amount '99999999999' is too large (at most 9,999,999,999.99)"),
    ],
)
def test_unusable_amount_is_a_bad_row_with_its_reason(tmp_path: Path, text: str, reason: str) -> None:
    assert purchase(tmp_path, amount=text) == BadRow(2, reason)


@pytest.mark.parametrize(
    ("region", "text", "amount"),
    [("DE", "1.234,50", "1234.50"), ("DE", "12,50 €", "12.50"), ("FR", "1 234,50", "1234.50"),
     ("CN", "￥１，２８０", "1280.00"), ("TW", "NT$ 450", "450.00"), ("US", "1 234.50", "1234.50")],
)  # fmt: skip
def test_amounts_are_read_as_the_business_region_writes_them(
    tmp_path: Path, region: str, text: str, amount: str
) -> None:
    record = purchase(tmp_path, region, amount=text)

    assert isinstance(record, PurchaseRecord)
    assert str(record.amount) == amount


def test_quantities_follow_the_region_too(tmp_path: Path) -> None:
    record = purchase(tmp_path, "DE", quantity="1.000")

    assert isinstance(record, PurchaseRecord) and record.quantity == 1000


@pytest.mark.parametrize("text", ["-12.50", "(12.50)", "-$12.50", "$-12.50"])
def test_negative_amount_is_rejected_with_the_refund_hint(tmp_path: Path, text: str) -> None:
    bad = purchase(tmp_path, amount=text)

    assert isinstance(bad, BadRow)
    assert bad.reason == f"amount '{text}' is negative; refunds go through /crm refund ORDER_ID"


@pytest.mark.parametrize(
    ("text", "day", "timestamp"),
    [
        ("1997-01-01", dt.date(1997, 1, 1), None),
        ("19970101", dt.date(1997, 1, 1), None),
        ("1997/1/5", dt.date(1997, 1, 5), None),
        ("1997-1-5", dt.date(1997, 1, 5), None),
        ("1997年1月5日", dt.date(1997, 1, 5), None),
        ("1997-01-01 00:00:00", dt.date(1997, 1, 1), None),
        ("1997-01-01T14:30:00", dt.date(1997, 1, 1), dt.datetime(1997, 1, 1, 14, 30)),
        ("1997-01-01 14:30", dt.date(1997, 1, 1), dt.datetime(1997, 1, 1, 14, 30)),
        (
            "1997-01-01T23:30:00+08:00",
            dt.date(1997, 1, 1),
            dt.datetime(1997, 1, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        ),
        ("1997-01-01T00:00:00Z", dt.date(1997, 1, 1), dt.datetime(1997, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_purchase_dates_in_iso_8601_or_compact_form(
    tmp_path: Path, text: str, day: dt.date, timestamp: dt.datetime | None
) -> None:
    record = purchase(tmp_path, date=text)

    assert isinstance(record, PurchaseRecord)
    assert (record.date, record.timestamp) == (day, timestamp)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1997-13-45", "date '1997-13-45' is not a valid date (use YYYY-MM-DD or YYYYMMDD)"),
        (
            "01/02/1997",
            "date '01/02/1997' could be 1 February or 2 January: pass --date-format %d/%m/%Y or %m/%d/%Y",
        ),
        ("1997-02-29", "date '1997-02-29' is not a valid date (use YYYY-MM-DD or YYYYMMDD)"),
        ("1997-01-01T25:00", "date '1997-01-01T25:00' is not a valid date (use YYYY-MM-DD or YYYYMMDD)"),
        ("yesterday", "date 'yesterday' is not a valid date (use YYYY-MM-DD or YYYYMMDD)"),
        ("01970101", "date '01970101' is before 1900"),
        ("2026-01-03", "date '2026-01-03' is in the future"),
        ("", "date is required"),
    ],
)
def test_unusable_purchase_date_is_a_bad_row(tmp_path: Path, text: str, reason: str) -> None:
    assert purchase(tmp_path, date=text) == BadRow(2, reason)


def test_purchase_dated_tomorrow_is_allowed_for_time_zones(tmp_path: Path) -> None:
    assert isinstance(purchase(tmp_path, date="2026-01-02"), PurchaseRecord)


@pytest.mark.parametrize(("text", "quantity"), [("1", 1), ("3.0", 3), ("1,000", 1000), ("", None)])
def test_quantity_is_a_positive_whole_number(tmp_path: Path, text: str, quantity: int | None) -> None:
    record = purchase(tmp_path, quantity=text)

    assert isinstance(record, PurchaseRecord)
    assert record.quantity == quantity


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "quantity '0' must be at least 1"),
        ("-2", "quantity '-2' must be at least 1"),
        ("2.5", "quantity '2.5' is not a whole number"),
        ("two", "quantity 'two' is not a number"),
    ],
)
def test_unusable_quantity_is_a_bad_row(tmp_path: Path, text: str, reason: str) -> None:
    assert purchase(tmp_path, quantity=text) == BadRow(2, reason)


@pytest.mark.parametrize(("text", "code"), [("usd", "USD"), (" twd ", "TWD"), ("RMB", "CNY"), ("ntd", "TWD")])
def test_currency_is_an_upper_case_iso_code(tmp_path: Path, text: str, code: str) -> None:
    record = purchase(tmp_path, currency=text)

    assert isinstance(record, PurchaseRecord)
    assert record.currency == code


@pytest.mark.parametrize("text", ["US", "dollars", "ABC", "$"])
def test_unknown_currency_is_a_bad_row(tmp_path: Path, text: str) -> None:
    assert purchase(tmp_path, currency=text) == BadRow(
        2, f"currency '{text}' is not an ISO 4217 code such as USD, CNY or TWD"
    )


def test_every_problem_of_a_row_is_named_in_one_bad_row(tmp_path: Path) -> None:
    bad = purchase(tmp_path, customer_id="", date="1997-13-45", amount="abc")

    assert bad == BadRow(
        2,
        "customer_id is required; date '1997-13-45' is not a valid date (use YYYY-MM-DD or YYYYMMDD); "
        "amount 'abc' is not a number",
    )


@pytest.mark.parametrize(
    ("region", "text", "e164"),
    [
        ("US", "(415) 555-0132", "+14155550132"),
        ("US", "+1 415 555 0132", "+14155550132"),
        ("TW", "0912-345-678", "+886912345678"),
        ("CN", "138 0013 8000", "+8613800138000"),
        ("US", "+86 138 0013 8000", "+8613800138000"),
        ("us", "415.555.0132", "+14155550132"),
    ],
)
def test_phone_numbers_become_e164_in_the_default_region(
    tmp_path: Path, region: str, text: str, e164: str
) -> None:
    record = customer(tmp_path, region=region, phone=text)

    assert isinstance(record, CustomerRecord)
    assert record.phone == e164


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("123", "phone '123' is not a valid number for region US"),
        ("call me", "phone 'call me' is not a valid number for region US"),
        ("+1 000 000 0000", "phone '+1 000 000 0000' is not a valid number"),
    ],
)
def test_invalid_phone_is_a_bad_row(tmp_path: Path, text: str, reason: str) -> None:
    assert customer(tmp_path, phone=text) == BadRow(2, reason)


def test_unknown_default_region_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown phone region 'XX'"):
        read_customers(csv_file(tmp_path, ["customer_id"], ["1"]), default_region="XX")


@pytest.mark.parametrize(
    ("text", "email"), [("Ann@Example.COM", "Ann@example.com"), ("a.b+c@mail.co.uk", None)]
)
def test_valid_email_is_kept_with_a_lower_case_domain(tmp_path: Path, text: str, email: str | None) -> None:
    record = customer(tmp_path, email=text)

    assert isinstance(record, CustomerRecord)
    assert record.email == (email or text)


@pytest.mark.parametrize(
    "text", ["ann", "ann@", "@example.com", "ann@example", "a b@example.com", "a@@b.com", "a@b..com"]
)
def test_invalid_email_is_a_bad_row(tmp_path: Path, text: str) -> None:
    assert customer(tmp_path, email=text) == BadRow(2, f"email '{text}' is not a valid email address")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1990-05-17", dt.date(1990, 5, 17)),
        ("19900517", dt.date(1990, 5, 17)),
        ("1990/5/17", dt.date(1990, 5, 17)),
        ("17/05/1990", dt.date(1990, 5, 17)),
        ("5/17/1990", dt.date(1990, 5, 17)),
    ],
)
def test_birthday_formats(tmp_path: Path, text: str, day: dt.date) -> None:
    record = customer(tmp_path, birthday=text)

    assert isinstance(record, CustomerRecord)
    assert record.birthday == day


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-01-02", "birthday '2026-01-02' is in the future"),
        (
            "05/06/1990",
            "birthday '05/06/1990' could be 5 June or 6 May: pass --date-format %d/%m/%Y or %m/%d/%Y",
        ),
        (
            "1990-05-17T10:00",
            "birthday '1990-05-17T10:00' is not a valid date (use YYYY-MM-DD, YYYYMMDD or YYYY/MM/DD)",
        ),
    ],
)
def test_unusable_birthday_is_a_bad_row(tmp_path: Path, text: str, reason: str) -> None:
    assert customer(tmp_path, birthday=text) == BadRow(2, reason)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("en", "en"),
        ("EN-us", "en"),
        ("English", "en"),
        ("zh", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh_cn", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-Hans", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("简体中文", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-hk", "zh-Hant"),
        ("zh-MO", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"),
        ("繁體中文", "zh-Hant"),
    ],
)
def test_language_aliases_map_to_the_three_supported_languages(
    tmp_path: Path, text: str, language: str
) -> None:
    record = customer(tmp_path, language=text)

    assert isinstance(record, CustomerRecord)
    assert record.language == language


def test_unsupported_language_is_a_bad_row(tmp_path: Path) -> None:
    assert customer(tmp_path, language="fr") == BadRow(
        2, "language 'fr' is not supported (use en, zh-Hans or zh-Hant)"
    )


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("vip, jazz;rock | new、老客户", ("vip", "jazz", "rock", "new", "老客户")),
        ("会员，常客；vip｜vip", ("会员", "常客", "vip")),
        (" ; , ", ()),
        ("", ()),
    ],
)
def test_tags_split_on_common_separators(tmp_path: Path, text: str, tags: tuple[str, ...]) -> None:
    record = customer(tmp_path, tags=text)

    assert isinstance(record, CustomerRecord)
    assert record.tags == tags


def test_ten_thousand_character_field_is_a_short_bad_row(tmp_path: Path) -> None:
    bad = customer(tmp_path, name="x" * 10_000)

    assert bad == BadRow(2, "name is 10,000 characters long (at most 200)")


def test_ten_thousand_character_cell_in_an_ignored_column_does_no_harm(tmp_path: Path) -> None:
    record = customer(tmp_path, notes="x" * 10_000, name="Ann")

    assert isinstance(record, CustomerRecord)
    assert record.name == "Ann"


def test_over_long_values_are_quoted_shortened_in_reasons(tmp_path: Path) -> None:
    bad = customer(tmp_path, email="x" * 100)

    assert isinstance(bad, BadRow)
    assert bad.reason == "email '" + "x" * 39 + "…' is not a valid email address"


def test_control_and_invisible_characters_are_stripped(tmp_path: Path) -> None:
    record = customer(
        tmp_path, customer_id="\x0000042\x07", name="Ann\x1b[31m\u202e Lee\u200b\r\nJr.", tags="vip\x00,\tnew"
    )

    assert isinstance(record, CustomerRecord)
    assert record.customer_id == "00042"
    assert record.name == "Ann[31m Lee Jr."
    assert record.tags == ("vip", "new")


def test_value_of_only_control_characters_counts_as_empty(tmp_path: Path) -> None:
    assert customer(tmp_path, customer_id="\x00\x01\u200b") == BadRow(2, "customer_id is required")


def test_sql_fragments_and_emoji_are_just_text(tmp_path: Path) -> None:
    record = customer(
        tmp_path, customer_id="1' OR '1'='1", name="Robert'); DROP TABLE customers;-- 🎸", tags="a;DELETE"
    )

    assert record == CustomerRecord(
        customer_id="1' OR '1'='1", name="Robert'); DROP TABLE customers;-- 🎸", tags=("a", "DELETE")
    )


def test_leading_zeros_and_inner_spaces_of_ids_are_kept(tmp_path: Path) -> None:
    record = customer(tmp_path, customer_id="  000 42 ")

    assert isinstance(record, CustomerRecord)
    assert record.customer_id == "000 42"
