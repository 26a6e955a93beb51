"""Reading XLSX import files written by openpyxl: real numbers, text ids and date cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.importing import ImportFileError, read_customers, read_purchases

TODAY = dt.date(2026, 1, 1)


def workbook(tmp_path: Path, rows: list[list[Any]], name: str = "book.xlsx") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_xlsx_numbers_text_ids_and_datetime_cells_become_purchases(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["Customer_ID", "Date", "Quantity", "Amount", "Order_ID"],
            ["00004", dt.datetime(1997, 1, 1), 2, 29.33, 1001.0],
            [4.0, "1997-01-18", 2.0, 29.73, None],
            ["00005", dt.datetime(1997, 3, 2, 14, 30), 1, 0.1 + 0.2, "A-7"],
            ["00006", dt.date(1997, 4, 5), 1, 12, None],
            ["00007", "19970406", 1, "$1,234.5", None],
        ],
    )

    result = read_purchases(path, today=TODAY)

    assert result.bad_rows == []
    records = [record for _, record in result.records]
    assert [r.customer_id for r in records] == ["00004", "4", "00005", "00006", "00007"]
    assert [r.amount for r in records] == [
        Decimal("29.33"),
        Decimal("29.73"),
        Decimal("0.30"),
        Decimal("12.00"),
        Decimal("1234.50"),
    ]
    assert records[0].order_id == "1001"
    assert records[0].date == dt.date(1997, 1, 1) and records[0].timestamp is None
    assert records[1].quantity == 2
    assert records[2].timestamp == dt.datetime(1997, 3, 2, 14, 30)
    assert records[3].date == dt.date(1997, 4, 5)
    assert [line for line, _ in result.records] == [2, 3, 4, 5, 6]


def test_xlsx_number_cells_are_numbers_while_text_cells_follow_the_region(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["customer_id", "date", "amount", "quantity"],
            ["A", "1997-01-01", 1.234, 1],  # a number cell: one point two three four
            ["B", "1997-01-01", "1.234,50", "1.000"],  # text as a German shop types it
            ["C", "1997-01-01", 1234.5, 2.0],
        ],
    )

    result = read_purchases(path, default_region="DE", today=TODAY)

    assert result.bad_rows == []
    records = [record for _, record in result.records]
    assert [r.amount for r in records] == [Decimal("1.23"), Decimal("1234.50"), Decimal("1234.50")]
    assert [r.quantity for r in records] == [1, 1000, 2]


def test_xlsx_customers_with_numeric_phone_and_datetime_birthday(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["customer_id", "name", "phone", "birthday", "tags"],
            ["00012", "Ann Lee", 4155550132.0, dt.datetime(1990, 5, 17), "vip; jazz"],
        ],
    )

    result = read_customers(path, today=TODAY)

    customer = result.records[0][1]
    assert (customer.customer_id, customer.phone) == ("00012", "+14155550132")
    assert customer.birthday == dt.date(1990, 5, 17)
    assert customer.tags == ("vip", "jazz")


def test_xlsx_empty_rows_are_skipped_but_keep_row_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A2"], sheet["B2"] = "customer_id", "name"
    sheet["A4"], sheet["B4"] = "C1", "Ann"
    sheet["A7"], sheet["B7"] = "C2", "x" * 300
    path = tmp_path / "gaps.xlsx"
    book.save(path)

    result = read_customers(path, today=TODAY)

    assert [(line, r.customer_id) for line, r in result.records] == [(4, "C1")]
    assert [str(bad) for bad in result.bad_rows] == ["line 7: name is 300 characters long (at most 200)"]


def test_xlsx_reads_the_first_sheet_even_when_another_is_active(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["customer_id"])
    book.active.append(["first"])
    other = book.create_sheet("Notes")
    other.append(["customer_id"])
    other.append(["second"])
    book.active = 1
    path = tmp_path / "two.xlsx"
    book.save(path)

    result = read_customers(path, today=TODAY)

    assert [r.customer_id for _, r in result.records] == ["first"]


def test_xlsx_missing_required_column_lists_the_columns_found(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Client", "Spent"], ["1", 2.5]])

    with pytest.raises(ImportFileError, match="missing required columns 'customer_id', 'date', 'amount'"):
        read_purchases(path, today=TODAY)


def test_xlsx_saved_with_a_csv_name_is_still_read_as_a_workbook(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["customer_id"], ["00001"]], name="export.csv")

    result = read_customers(path, today=TODAY)

    assert [r.customer_id for _, r in result.records] == ["00001"]


def test_encoding_is_ignored_for_xlsx_with_a_warning(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["customer_id"], ["1"]])

    result = read_customers(path, encoding="gbk", today=TODAY)

    assert result.warnings == ["--encoding is ignored for .xlsx files"]
