"""Opening an import file (CSV or XLSX) and turning its rows into field → raw text dicts."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .columns import Columns, ColumnSpec, resolve_columns
from .csv_source import SourceRow, open_csv
from .errors import ImportFileError
from .result import BadRow
from .xlsx_source import open_xlsx

RawRow = tuple[int, dict[str, str]]

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ""})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc …)


@dataclass(frozen=True)
class Table:
    """An open import file: its columns, and its data rows (or bad rows) in file order."""

    columns: Columns
    header_line: int
    rows: Iterator[RawRow | BadRow]


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(8)
    except FileNotFoundError:
        raise ImportFileError(path, "no such file") from None
    except IsADirectoryError:
        raise ImportFileError(path, "is a directory, not a file") from None
    except OSError as error:
        raise ImportFileError(path, f"cannot be read ({error.strerror or error})") from None


def detect_kind(path: Path, head: bytes) -> Literal["csv", "xlsx"]:
    """By content where it is unmistakable (a zip is an XLSX), else by the file name's suffix."""
    suffix = path.suffix.lower()
    if not head:
        raise ImportFileError(path, "the file is empty")
    if head.startswith(_OLE) or suffix == ".xls":
        raise ImportFileError(path, "legacy Excel .xls files are not supported; save it as .xlsx or .csv")
    if suffix in XLSX_SUFFIXES or (suffix in CSV_SUFFIXES and head.startswith(_ZIP)):
        return "xlsx"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise ImportFileError(path, f"unsupported file type '{suffix}'; use a .csv or .xlsx file")


def _is_blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _header(path: Path, rows: Iterator[SourceRow]) -> tuple[int, list[str]]:
    for row in rows:
        if isinstance(row, BadRow):
            raise ImportFileError(path, f"line {row.line}: the header is {row.reason}")
        line, cells = row
        if _is_blank(cells):
            continue
        if any("\x00" in cell for cell in cells):
            raise ImportFileError(
                path,
                f"line {line}: the header contains NUL characters; for UTF-16 text use --encoding utf-16",
            )
        return line, cells
    raise ImportFileError(path, "no header row: the file has no data")


def _field_rows(rows: Iterator[SourceRow], columns: Columns) -> Iterator[RawRow | BadRow]:
    for row in rows:
        if isinstance(row, BadRow):
            yield row
            continue
        line, cells = row
        if not _is_blank(cells):
            yield line, {field: cells[i] if i < len(cells) else "" for i, field in columns.positions}


@contextmanager
def open_table(
    path: str | os.PathLike[str],
    spec: ColumnSpec,
    *,
    encoding: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Iterator[Table]:
    """The file's header is matched to `spec` before any row is read; ImportFileError if unusable."""
    file = Path(path)
    head = _head(file)
    kind = detect_kind(file, head)
    source: AbstractContextManager[Iterator[SourceRow]]
    source = open_xlsx(file) if kind == "xlsx" else open_csv(file, encoding, head)
    with source as rows:
        header_line, header = _header(file, rows)
        columns = resolve_columns(header, spec, mapping, path=file, line=header_line)
        if kind == "xlsx" and encoding is not None:
            columns = Columns(columns.positions, (*columns.warnings, "--encoding is ignored for .xlsx files"))
        yield Table(columns, header_line, _field_rows(rows, columns))
