"""XLSX rows (first worksheet) as text cells, the way they would look in a CSV export."""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import openpyxl

from .errors import ImportFileError


def cell_text(value: Any) -> str:
    """Numbers lose float noise (4.0 → "4"), datetimes become ISO text, text is kept as is.

    Text cells keep leading zeros (00004); a number cell has none to keep.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _rows(path: str | os.PathLike[str], sheet: Any) -> Iterator[tuple[int, list[str]]]:
    # read-only sheets pad missing rows, so position in the iteration is the row number
    number = 0
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(value) for value in values]
    except Exception as error:  # a damaged sheet fails while streaming, with any exception type
        raise ImportFileError(
            path, f"row {number + 1}: cannot read the sheet ({type(error).__name__})"
        ) from None


@contextmanager
def open_xlsx(path: str | os.PathLike[str]) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """Rows of the first worksheet as (row number, cells)."""
    # A file object, not the path: openpyxl refuses a workbook whose name does not end in .xlsx.
    with open(path, "rb") as file:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions we never read
                book = openpyxl.load_workbook(file, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises a zoo of types on a damaged file
            raise ImportFileError(path, f"not a readable .xlsx file ({type(error).__name__})") from None
        try:
            if not book.worksheets:
                raise ImportFileError(path, "the workbook has no worksheet")
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # stored dimensions are often wrong; read what is really there
            yield _rows(path, sheet)
        finally:
            book.close()
