"""Dates written day/month or month/day (US and European spreadsheets), --date-format, Excel serials."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from bot.importing import BadRow, read_customers, read_purchases
from bot.importing.dates import check_date_format

TODAY = dt.date(2026, 1, 1)
AMBIGUOUS = "could be 1 May or 5 January: pass --date-format %d/%m/%Y or %m/%d/%Y"


def purchases_csv(tmp_path: Path, *dates: str) -> Path:
    path = tmp_path / "purchases.csv"
    rows = [f"C{n},{date},10.00" for n, date in enumerate(dates, start=1)]
    path.write_text("customer_id,date,amount\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def days(path: Path, **options: Any) -> list[tuple[int, dt.date]]:
    result = read_purchases(path, today=TODAY, **options)
    return [(line, record.date) for line, record in result.records]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("13/01/2024", dt.date(2024, 1, 13)),
        ("1/13/2024", dt.date(2024, 1, 13)),
        ("31.12.2023", dt.date(2023, 12, 31)),
        ("12-25-2023", dt.date(2023, 12, 25)),
        ("05/05/2024", dt.date(2024, 5, 5)),  # the same day either way
        ("2024年1月5日", dt.date(2024, 1, 5)),
        ("2024/1/5", dt.date(2024, 1, 5)),
    ],
)
def test_a_date_with_only_one_possible_reading_is_read(tmp_path: Path, text: str, day: dt.date) -> None:
    assert days(purchases_csv(tmp_path, text)) == [(2, day)]


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("1/13/2024 14:30", dt.datetime(2024, 1, 13, 14, 30)),
        ("1/13/2024 2:30 PM", dt.datetime(2024, 1, 13, 14, 30)),
        ("13.01.2024 12:05:09 am", dt.datetime(2024, 1, 13, 0, 5, 9)),
    ],
)
def test_excel_style_date_times_keep_their_time(tmp_path: Path, text: str, moment: dt.datetime) -> None:
    result = read_purchases(purchases_csv(tmp_path, text), today=TODAY)

    assert [record.timestamp for _, record in result.records] == [moment]


def test_an_ambiguous_date_in_a_file_that_never_shows_the_order_is_a_bad_row(tmp_path: Path) -> None:
    path = purchases_csv(tmp_path, "2024-02-01", "01/05/2024", "05/05/2024", "1.5.2024 10:15")

    result = read_purchases(path, today=TODAY)

    assert result.bad_rows == [
        BadRow(3, f"date '01/05/2024' {AMBIGUOUS}"),
        BadRow(5, "date '1.5.2024 10:15' could be 1 May or 5 January: "
                  "pass --date-format %d.%m.%Y %H:%M or %m.%d.%Y %H:%M"),
    ]  # fmt: skip
    assert [line for line, _ in result.records] == [2, 4]


def test_one_row_proving_month_first_settles_the_whole_column(tmp_path: Path) -> None:
    path = purchases_csv(tmp_path, "01/05/2024", "02/03/2024", "1/13/2024", "2024-02-01")

    result = read_purchases(path, today=TODAY)

    assert result.bad_rows == []
    assert [(line, r.date) for line, r in result.records] == [
        (2, dt.date(2024, 1, 5)),
        (3, dt.date(2024, 2, 3)),
        (4, dt.date(2024, 1, 13)),
        (5, dt.date(2024, 2, 1)),
    ]
    assert result.warnings == [
        "date: 2 dates such as '01/05/2024' were read as month/day/year, as '1/13/2024' in the same "
        "column can only be read that way; pass --date-format to read them otherwise"
    ]
    told = read_purchases(path, today=TODAY, date_format="%m/%d/%Y")
    assert told.records == result.records  # the same purchases, the same generated order ids


def test_one_row_proving_day_first_settles_the_whole_column(tmp_path: Path) -> None:
    path = purchases_csv(tmp_path, "01.05.2024", "25.12.2023")

    assert days(path) == [(2, dt.date(2024, 5, 1)), (3, dt.date(2023, 12, 25))]


def test_the_file_is_read_twice_only_when_a_row_needed_an_order_proved_later(tmp_path: Path) -> None:
    proved_first = purchases_csv(tmp_path, "1/13/2024", "01/05/2024", "02/03/2024")
    counted: list[int] = []
    assert [day for _, day in days(proved_first, progress=counted.append)] == [
        dt.date(2024, 1, 13),
        dt.date(2024, 1, 5),
        dt.date(2024, 2, 3),
    ]
    assert counted == [3]  # one reading

    proved_last = purchases_csv(tmp_path, "01/05/2024", "02/03/2024", "1/13/2024")
    counted.clear()
    assert [day for _, day in days(proved_last, progress=counted.append)] == [
        dt.date(2024, 1, 5),
        dt.date(2024, 2, 3),
        dt.date(2024, 1, 13),
    ]
    assert counted == [3, 3]  # a second reading for the rows before line 4


@pytest.mark.parametrize(
    "order", [("13/01/2024", "01/13/2024", "01/05/2024"), ("13/01/2024", "01/05/2024", "01/13/2024")]
)
def test_a_column_proving_both_orders_settles_nothing_and_says_so(
    tmp_path: Path, order: tuple[str, ...]
) -> None:
    path = purchases_csv(tmp_path, *order)

    result = read_purchases(path, today=TODAY)

    assert [r.date for _, r in result.records] == [dt.date(2024, 1, 13), dt.date(2024, 1, 13)]
    line = 2 + order.index("01/05/2024")
    assert result.bad_rows == [BadRow(line, f"date '01/05/2024' {AMBIGUOUS}")]
    assert result.warnings == [
        "date: the file writes dates both day first ('13/01/2024') and month first ('01/13/2024'); "
        "check it, or pass --date-format"
    ]


def test_date_format_reads_a_us_file_and_still_reads_iso_dates(tmp_path: Path) -> None:
    path = purchases_csv(tmp_path, "01/05/2024", "2024-02-01", "13/01/2024")

    result = read_purchases(path, today=TODAY, date_format="%m/%d/%Y")

    assert [(line, r.date) for line, r in result.records] == [
        (2, dt.date(2024, 1, 5)),
        (3, dt.date(2024, 2, 1)),
    ]
    assert result.bad_rows == [BadRow(4, "date '13/01/2024' does not match --date-format %m/%d/%Y")]


def test_date_format_with_a_time_of_day_and_a_two_digit_year(tmp_path: Path) -> None:
    path = purchases_csv(tmp_path, "05.01.24 18:45")

    result = read_purchases(path, today=TODAY, date_format="%d.%m.%y %H:%M")

    assert [r.timestamp for _, r in result.records] == [dt.datetime(2024, 1, 5, 18, 45)]


def test_a_two_digit_year_is_refused_without_a_date_format(tmp_path: Path) -> None:
    result = read_purchases(purchases_csv(tmp_path, "1/13/24"), today=TODAY)

    assert result.bad_rows == [
        BadRow(
            2,
            "date '1/13/24' has a two-digit year: write the year in full or pass --date-format, "
            "e.g. %m/%d/%y or %d/%m/%y",
        )
    ]


@pytest.mark.parametrize(
    ("date_format", "reason"),
    [
        ("%Q", "--date-format '%Q' is not a date format ('Q' is a bad directive in format '%Q')"),
        ("%d/%m", "--date-format '%d/%m' must contain a day, a month and a year, e.g. %d/%m/%Y or %m/%d/%Y"),
        ("%H:%M", "--date-format '%H:%M' must contain a day, a month and a year, e.g. %d/%m/%Y or %m/%d/%Y"),
    ],
)
def test_a_date_format_that_cannot_read_dates_is_refused(
    tmp_path: Path, date_format: str, reason: str
) -> None:
    with pytest.raises(ValueError) as caught:
        check_date_format(date_format)
    assert str(caught.value) == reason
    with pytest.raises(ValueError, match="--date-format"):
        read_purchases(purchases_csv(tmp_path, "2024-01-05"), today=TODAY, date_format=date_format)


def test_birthdays_use_the_same_rules_and_the_date_format(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,birthday\nA,05/06/1990\nB,24/12/1985\nC,1990-05-17\n", encoding="utf-8")

    inferred = read_customers(path, today=TODAY)
    told = read_customers(path, today=TODAY, date_format="%m/%d/%Y")

    assert [r.birthday for _, r in inferred.records] == [
        dt.date(1990, 6, 5),
        dt.date(1985, 12, 24),
        dt.date(1990, 5, 17),
    ]
    assert [(line, r.birthday) for line, r in told.records] == [
        (2, dt.date(1990, 5, 6)),
        (4, dt.date(1990, 5, 17)),
    ]
    assert told.bad_rows == [BadRow(3, "birthday '24/12/1985' does not match --date-format %m/%d/%Y")]


def workbook(tmp_path: Path, rows: list[list[Any]], *, epoch: dt.datetime | None = None) -> Path:
    book = openpyxl.Workbook()
    if epoch is not None:
        book.epoch = epoch
    for row in rows:
        book.active.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path


def test_xlsx_number_cells_in_the_date_column_are_excel_serial_days(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["customer_id", "date", "amount"],
            ["A", 45296, 10],  # 2024-01-05, as a date cell formatted "General" shows it
            ["B", 45296.75, 10],  # 18:00 that day
            ["C", 19970406, 10],  # a number written YYYYMMDD is still that date
            ["D", "45296", 10],  # text is not a serial day
        ],
    )

    result = read_purchases(path, today=TODAY)

    assert [(line, r.date, r.timestamp) for line, r in result.records] == [
        (2, dt.date(2024, 1, 5), None),
        (3, dt.date(2024, 1, 5), dt.datetime(2024, 1, 5, 18, 0)),
        (4, dt.date(1997, 4, 6), None),
    ]
    assert result.bad_rows == [BadRow(5, "date '45296' is not a valid date (use YYYY-MM-DD or YYYYMMDD)")]


def test_xlsx_serial_days_follow_the_workbooks_1904_date_system(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["customer_id", "date", "amount"], ["A", 43834, 10]], epoch=CALENDAR_MAC_1904)

    assert days(path) == [(2, dt.date(2024, 1, 5))]


def test_xlsx_date_cells_and_us_text_dates_in_one_column(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["customer_id", "date", "amount"],
            ["A", dt.datetime(2024, 1, 5), 10],
            ["B", "02/03/2024", 10],
            ["C", dt.datetime(2024, 2, 3, 9, 30), 10],
        ],
    )

    result = read_purchases(path, today=TODAY, date_format="%m/%d/%Y")

    assert result.bad_rows == []
    assert [(r.date, r.timestamp) for _, r in result.records] == [
        (dt.date(2024, 1, 5), None),
        (dt.date(2024, 2, 3), None),
        (dt.date(2024, 2, 3), dt.datetime(2024, 2, 3, 9, 30)),
    ]
