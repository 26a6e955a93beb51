"""What reading an import file produces: validated records, bad rows and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that was not imported; `line` is the file line (the header is line 1)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(slots=True)
class ImportResult(Generic[R]):
    """Records are in file order, each with the line its row starts on.

    `columns` lists the fields the file has, so a caller can leave the fields the file
    does not mention untouched instead of blanking them.
    """

    records: list[tuple[int, R]] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total_rows: int = 0
    columns: tuple[str, ...] = ()
