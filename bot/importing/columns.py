"""Matching a file's header row to the import fields, with `--map header=field` renames."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import ImportFileError
from .text import clean, shown


@dataclass(frozen=True)
class ColumnSpec:
    """The fields one kind of import understands, and which of them a file must have."""

    kind: str
    fields: tuple[str, ...]
    required: tuple[str, ...]


CUSTOMER_COLUMNS = ColumnSpec(
    "customers",
    fields=("customer_id", "name", "phone", "email", "birthday", "language", "tags"),
    required=("customer_id",),
)
PURCHASE_COLUMNS = ColumnSpec(
    "purchases",
    fields=("customer_id", "date", "amount", "order_id", "quantity", "currency"),
    required=("customer_id", "date", "amount"),
)


@dataclass(frozen=True)
class Columns:
    """Where each field sits in a row (cell index → field) and what was noticed on the way."""

    positions: tuple[tuple[int, str], ...]
    warnings: tuple[str, ...]

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(field for _, field in self.positions)


def header_key(text: str) -> str:
    """Case, spaces, dashes, underscores and a BOM never matter: "Customer ID", "customer-id",
    "CustomerID" all mean customer_id, and "E-Mail" means email."""
    return "".join(clean(text).casefold().replace("-", " ").replace("_", " ").split())


def _renames(spec: ColumnSpec, mapping: Mapping[str, str], path: str | os.PathLike[str]) -> dict[str, str]:
    """`--map` entries by header key → field; an empty field means "ignore this column"."""
    fields = {header_key(field): field for field in spec.fields}
    renames: dict[str, str] = {}
    for header, field in mapping.items():
        if header_key(field) and header_key(field) not in fields:
            raise ImportFileError(
                path,
                f"--map {shown(header)}={shown(field)}: '{shown(field)}' is not a {spec.kind} column "
                f"(columns: {', '.join(spec.fields)})",
            )
        renames[header_key(header)] = fields.get(header_key(field), "")
    return renames


def resolve_columns(
    header: Sequence[str],
    spec: ColumnSpec,
    mapping: Mapping[str, str] | None,
    *,
    path: str | os.PathLike[str],
    line: int,
) -> Columns:
    """Cell positions of the known fields; ImportFileError when a field is missing or doubled."""
    renames = _renames(spec, mapping or {}, path)
    fields = {header_key(field): field for field in spec.fields}
    found: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        key = header_key(cell)
        field = renames[key] if key in renames else fields.get(key)
        if field:
            if field in found:
                raise ImportFileError(
                    path,
                    f"line {line}: columns '{shown(header[found[field]])}' and '{shown(cell)}' both mean "
                    f"{field}; remove one or rename it with --map",
                )
            found[field] = index
        elif key and key not in renames:
            ignored.append(shown(cell))
    _check_required(spec, header, found, path=path, line=line)
    warnings = [f"ignored columns: {', '.join(ignored)}"] if ignored else []
    keys = {header_key(cell) for cell in header}
    warnings += [
        f"--map: the file has no column '{shown(name)}'"
        for name in (mapping or {})
        if header_key(name) not in keys
    ]
    return Columns(tuple(sorted((i, f) for f, i in found.items())), tuple(warnings))


def _check_required(
    spec: ColumnSpec,
    header: Sequence[str],
    found: Mapping[str, int],
    *,
    path: str | os.PathLike[str],
    line: int,
) -> None:
    missing = [field for field in spec.required if field not in found]
    if not missing:
        return
    listed = ", ".join(shown(cell) for cell in header if shown(cell)) or "none"
    hint = f"use --map HEADER={missing[0]} if it has another name"
    if not found:
        hint = f"line {line} must be a header row such as {','.join(spec.required)}"
    names = ", ".join(f"'{field}'" for field in missing)
    plural = "s" if len(missing) > 1 else ""
    raise ImportFileError(path, f"missing required column{plural} {names} ({hint}); columns found: {listed}")
