"""Query results straight into numpy columns, without a Python object per row.

PostgreSQL streams `COPY (query) TO STDOUT (FORMAT BINARY)`: fixed-width rows that numpy reads
in place. SQLite's driver yields tuples, which `np.fromiter` packs without building a list.
Fields are NOT NULL (the queries coalesce) and are int4, float8 or bool.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from storage.uow import UnitOfWork

FieldType = Literal["int4", "float8", "bool"]
Columns = dict[str, NDArray[Any]]

_NUMPY = {"int4": "i8", "float8": "f8", "bool": "?"}  # what callers get
_WIRE = {"int4": (">i4", 4), "float8": (">f8", 8), "bool": ("?", 1)}  # PostgreSQL binary COPY
_PG_HEADER = 19  # signature (11) + flags (4) + header extension length (4)


def fetch_columns(
    uow: UnitOfWork, fields: Sequence[tuple[str, FieldType]], *, sqlite: str, postgresql: str
) -> Columns:
    """Run the dialect's query (positional columns matching `fields`) and return one array per field.

    The query text is inlined into COPY on PostgreSQL, so it must not take parameters: callers
    format only dates and numbers into it.
    """
    raw: Any = uow.session.connection().connection.driver_connection
    if uow.dialect == "postgresql":
        return _from_copy(raw, fields, postgresql)
    dtype = np.dtype([(name, _NUMPY[kind]) for name, kind in fields])
    rows = np.fromiter(raw.execute(sqlite), dtype=dtype)
    return {name: np.ascontiguousarray(rows[name]) for name, _ in fields}


def _from_copy(raw: Any, fields: Sequence[tuple[str, FieldType]], query: str) -> Columns:
    layout: list[tuple[str, str]] = [("n_fields", ">i2")]
    for name, kind in fields:
        wire, _ = _WIRE[kind]
        layout += [(f"{name}__len", ">i4"), (name, wire)]
    dtype = np.dtype(layout)  # packed: exactly the bytes of one row
    parts: dict[str, list[NDArray[Any]]] = {name: [] for name, _ in fields}
    with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
        for block in _rows(copy, dtype.itemsize):
            rows = np.frombuffer(block, dtype=dtype)
            for name, kind in fields:
                parts[name].append(rows[name].astype(_NUMPY[kind]))
    return {
        name: np.concatenate(chunks) if chunks else np.zeros(0, dtype=_NUMPY[kind])
        for (name, kind), chunks in zip(fields, parts.values(), strict=True)
    }


def _rows(copy: Any, row_size: int) -> Iterator[bytes]:
    """Whole rows from the COPY stream, header and trailer removed, in blocks of a few MB."""
    pending = bytearray()
    header_left = _PG_HEADER
    for data in copy:
        pending += data
        if header_left:
            cut = min(header_left, len(pending))
            del pending[:cut]
            header_left -= cut
        whole = len(pending) // row_size * row_size
        if whole >= (1 << 22):
            yield bytes(pending[:whole])
            del pending[:whole]
    whole = len(pending) // row_size * row_size
    if whole:
        yield bytes(pending[:whole])
    if bytes(pending[whole:]) != b"\xff\xff":  # the trailer: a field count of -1
        raise RuntimeError("unexpected end of PostgreSQL COPY data")
