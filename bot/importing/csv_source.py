"""CSV records with their file line numbers, decoded so that one bad line spoils only its row.

Undecodable bytes are not replaced silently: a registered codec error handler turns them into
a lone surrogate, which no correctly decoded text can contain, and every record holding one
becomes a bad row naming the line and suggesting `--encoding`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import ImportFileError
from .result import BadRow

SourceRow = tuple[int, list[str]] | BadRow

_MARK = "\udfff"
_ERRORS = "retention_bot.importing.mark_undecodable"
_DELIMITERS = (",", ";", "\t")  # in order of preference on a tie


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    if isinstance(error, UnicodeDecodeError):
        return _MARK, error.end
    raise error


codecs.register_error(_ERRORS, _mark_undecodable)


def choose_encoding(path: str | os.PathLike[str], encoding: str | None, head: bytes) -> str:
    """UTF-8 with or without BOM unless told otherwise; a UTF-16/32 BOM speaks for itself."""
    if encoding is None:
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return "utf-32"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        return "utf-8-sig"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ImportFileError(path, f"unknown encoding '{encoding}'") from None
    return "utf-8-sig" if name == "utf-8" else name  # a BOM is never data


def undecodable_reason(encoding: str, chosen: bool) -> str:
    """Why a line could not be read, with the `--encoding` advice that fits."""
    if not chosen and encoding == "utf-8-sig":
        return (
            "not valid utf-8 text; if the file came from Excel in a Chinese locale, "
            "try --encoding gbk or --encoding big5"
        )
    label = "utf-8" if encoding == "utf-8-sig" else encoding
    return f"not valid {label} text; check --encoding (common ones: utf-8, gbk, gb18030, big5, utf-16)"


def sniff_delimiter(line: str) -> str:
    """The most frequent of , ; TAB outside quotes in the header line (comma when none)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


class _Lines:
    """The physical lines fed to csv.reader: counted, with what the current record needs checked."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.count = 0
        self.exhausted = False
        self.undecodable: list[int] = []  # in the current record
        self.quotes = 0  # in the current record

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except StopIteration:
            self.exhausted = True
            raise
        self.count += 1
        self.quotes += line.count('"')
        if _MARK in line:
            self.undecodable.append(self.count)
        return line

    def next_record(self) -> None:
        self.undecodable.clear()
        self.quotes = 0

    def unclosed_quote(self, start: int) -> bool:
        """A record can only end inside quotes at the end of the file, having swallowed the rest."""
        return self.exhausted and self.count > start and self.quotes % 2 == 1


def _records(text: Iterator[str], reason: str) -> Iterator[SourceRow]:
    ahead: list[str] = []  # blank lines, then the header line, which picks the delimiter
    for line in text:
        ahead.append(line)
        if line.strip():
            break
    lines = _Lines(itertools.chain(ahead, text))
    reader = csv.reader(lines, delimiter=sniff_delimiter(ahead[-1] if ahead else ""))
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield BadRow(start, f"cannot read this CSV record ({error})")
        else:
            if lines.undecodable:
                yield BadRow(lines.undecodable[0], reason)
            elif lines.unclosed_quote(start):
                yield BadRow(
                    start,
                    f"a quoted value opened here is never closed, so lines {start}-{lines.count} "
                    'were read as one row; check the " characters',
                )
            elif cells:
                yield start, cells
        lines.next_record()
        start = lines.count + 1


@contextmanager
def open_csv(
    path: str | os.PathLike[str], encoding: str | None, head: bytes
) -> Iterator[Iterator[SourceRow]]:
    """Records as (line where the record starts, cells), or a BadRow for an unreadable one."""
    codec = choose_encoding(path, encoding, head)
    raw = open(path, "rb")  # noqa: SIM115 - closed by the wrapper below
    try:
        text = io.TextIOWrapper(raw, encoding=codec, errors=_ERRORS, newline="")
    except LookupError:
        raw.close()
        raise ImportFileError(path, f"'{encoding}' is not a text encoding") from None
    with text:
        yield _records(text, undecodable_reason(codec, encoding is not None))
