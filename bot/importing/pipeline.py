"""read_customers / read_purchases: a whole file → validated records, bad rows and warnings."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from bot.text.amounts import amount_locale

from .columns import CUSTOMER_COLUMNS, PURCHASE_COLUMNS, ColumnSpec
from .dates import DateColumn, check_date_format
from .errors import FieldError
from .fields import check_region
from .identity import FirstSeen, StableOrderIds
from .reader import RawRow, open_table
from .records import CustomerRecord, PurchaseRecord
from .result import BadRow, ImportResult
from .validate import parse_customer, parse_purchase

R = TypeVar("R")

Progress = Callable[[int], None]
PROGRESS_EVERY = 1000  # rows between progress callbacks: often enough for a bar, cheap enough for 100k rows


def _collect(
    rows: Iterator[RawRow | BadRow],
    parse: Callable[[Mapping[str, str]], R],
    key: Callable[[R], str],
    seen: FirstSeen[R],
    result: ImportResult[R],
    progress: Progress | None,
) -> int:
    """Fill `result` from the rows; returns how many exact repeats were dropped."""
    repeats = 0
    for row in rows:
        result.total_rows += 1
        if isinstance(row, BadRow):
            result.bad_rows.append(row)
        else:
            line, values = row
            try:
                record = parse(values)
                if seen.is_new(key(record), line, record):
                    result.records.append((line, record))
                else:
                    repeats += 1
            except FieldError as error:
                result.bad_rows.append(BadRow(line, str(error)))
        if progress is not None and result.total_rows % PROGRESS_EVERY == 0:
            progress(result.total_rows)
    return repeats


def _read(
    path: str | os.PathLike[str],
    spec: ColumnSpec,
    parse: Callable[[Mapping[str, str]], R],
    key: Callable[[R], str],
    id_name: str,
    *,
    encoding: str | None,
    mapping: Mapping[str, str] | None,
    progress: Progress | None,
) -> ImportResult[R]:
    result = ImportResult[R]()
    with open_table(path, spec, encoding=encoding, mapping=mapping) as table:
        result.columns = table.columns.present
        result.warnings.extend(table.columns.warnings)
        repeats = _collect(table.rows, parse, key, FirstSeen[R](id_name), result, progress)
    if repeats:
        result.warnings.append(
            f"{repeats:,} rows repeat an earlier row with the same {id_name} and were skipped"
        )
    if progress is not None and (result.total_rows % PROGRESS_EVERY or not result.total_rows):
        progress(result.total_rows)  # the final count, unless it was just reported
    return result


def _read_dated(read: Callable[[DateColumn], ImportResult[R]], column: DateColumn) -> ImportResult[R]:
    """Read the file; read it once more when its date column proved a day/month order only after
    rows that needed it (01/05/2024 on line 2, 13/05/2024 on line 900), so those rows use it too,
    or proved both orders after some rows had been read in one."""
    result = read(column)
    if column.needs_second_reading():
        column = column.second_reading()
        result = read(column)
    result.warnings.extend(column.warnings())
    return result


def read_customers(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    mapping: Mapping[str, str] | None = None,
    default_region: str = "US",
    date_format: str | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> ImportResult[CustomerRecord]:
    """Validated customers of a CSV/XLSX file; ImportFileError if the file cannot be used at all.

    Birthdays are read with `date_format` (strptime) when given, else as dates.py explains.
    """
    region = check_region(default_region)
    fmt = None if date_format is None else check_date_format(date_format)
    day = today or dt.date.today()

    def read(birthdays: DateColumn) -> ImportResult[CustomerRecord]:
        return _read(
            path,
            CUSTOMER_COLUMNS,
            lambda values: parse_customer(values, region=region, today=day, birthdays=birthdays),
            lambda record: record.customer_id,
            "customer_id",
            encoding=encoding,
            mapping=mapping,
            progress=progress,
        )

    return _read_dated(read, DateColumn("birthday", fmt))


def read_purchases(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    mapping: Mapping[str, str] | None = None,
    default_region: str = "US",
    date_format: str | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> ImportResult[PurchaseRecord]:
    """Validated purchases of a CSV/XLSX file; rows without order_id get stable generated ids.

    Amounts are read as the business in `default_region` writes them (`bot.text.amounts`);
    dates with `date_format` (strptime) when given, else as dates.py explains. A file whose
    day/month order is settled only by a later row is read twice, and `progress` counts twice.
    """
    locale = amount_locale(check_region(default_region))
    fmt = None if date_format is None else check_date_format(date_format)
    day = today or dt.date.today()

    def read(dates: DateColumn) -> ImportResult[PurchaseRecord]:
        order_ids = StableOrderIds()
        return _read(
            path,
            PURCHASE_COLUMNS,
            lambda values: parse_purchase(values, today=day, order_ids=order_ids, locale=locale, dates=dates),
            lambda record: record.order_id,
            "order_id",
            encoding=encoding,
            mapping=mapping,
            progress=progress,
        )

    return _read_dated(read, DateColumn("date", fmt))
