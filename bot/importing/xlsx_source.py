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
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from .errors import ImportFileError
from .text import NumberCell


class Mac1904NumberCell(NumberCell):
    """A number cell of a workbook in the 1904 date system (old Excel for Mac)."""

    epoch = CALENDAR_MAC_1904


def cell_text(value: Any, number: type[NumberCell] = NumberCell) -> str:
    """Numbers lose float noise (4.0 → "4") and stay marked as numbers (`number`), datetimes
    become ISO text, text is kept as is.

    Text cells keep leading zeros (00004); a number cell has none to keep.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return number(int(value) if value.is_integer() else format(Decimal(repr(value)), "f"))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _rows(
    path: str | os.PathLike[str], sheet: Any, number_type: type[NumberCell]
) -> Iterator[tuple[int, list[str]]]:
    # read-only sheets pad missing rows, so position in the iteration is the row number
    number = 0
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(value, number_type) for value in values]
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
            number_type = Mac1904NumberCell if book.epoch == CALENDAR_MAC_1904 else NumberCell
            yield _rows(path, sheet, number_type)
        finally:
            book.close()
