"""Bulk-load a synthetic purchase log into a migrated database (benchmark set-up, not product code)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine

from benchmarks.synthetic import PurchaseLog

CHUNK = 500_000
STAMP_SQLITE = "2026-01-01 00:00:00.000000"
STAMP_POSTGRES = "2026-01-01 00:00:00+00"


def load(engine: Engine, log: PurchaseLog) -> None:
    """Customers 1..n (ids equal to the log's keys) and every purchase, in chunks."""
    n_customers = int(log.customer.max())
    with engine.begin() as conn:
        raw: Any = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            _copy(raw, "customer", _CUSTOMER_COLUMNS, _customers(n_customers, STAMP_POSTGRES))
            _copy(raw, "purchase", _PURCHASE_COLUMNS, _purchases(log, STAMP_POSTGRES))
            with raw.cursor() as cursor:
                cursor.execute("SELECT setval('customer_id_seq', %s)", (n_customers,))
                cursor.execute("ANALYZE customer")
                cursor.execute("ANALYZE purchase")
        else:
            _insert(raw, "customer", _CUSTOMER_COLUMNS, _customers(n_customers, STAMP_SQLITE))
            _insert(raw, "purchase", _PURCHASE_COLUMNS, _purchases(log, STAMP_SQLITE))


_CUSTOMER_COLUMNS = (
    "id",
    "external_id",
    "tags",
    "allows_promotions",
    "unreachable",
    "created_at",
    "updated_at",
)
_PURCHASE_COLUMNS = ("customer_id", "order_id", "purchased_on", "amount", "note", "source", "created_at")


def _customers(n: int, stamp: str) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(1, n + 1, CHUNK):
        stop = min(n + 1, start + CHUNK)
        yield [(i, f"c{i:08d}", "", True, False, stamp, stamp) for i in range(start, stop)]


def _purchases(log: PurchaseLog, stamp: str) -> Iterator[list[tuple[Any, ...]]]:
    for start in range(0, len(log), CHUNK):
        stop = min(len(log), start + CHUNK)
        days = log.day[start:stop].astype("datetime64[D]").astype(str).tolist()
        amounts = [f"{a:.2f}" for a in log.amount[start:stop].tolist()]
        customers = log.customer[start:stop].tolist()
        yield [
            (c, f"b{start + i:010d}", d, a, "", "bench", stamp)
            for i, (c, d, a) in enumerate(zip(customers, days, amounts, strict=True))
        ]


def _insert(raw: Any, table: str, columns: tuple[str, ...], chunks: Iterator[list[tuple[Any, ...]]]) -> None:
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    cursor = raw.cursor()
    for rows in chunks:
        cursor.executemany(statement, rows)
    cursor.close()


def _copy(raw: Any, table: str, columns: tuple[str, ...], chunks: Iterator[list[tuple[Any, ...]]]) -> None:
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for rows in chunks:
            for row in rows:
                copy.write_row(row)


def purchase_count(engine: Engine) -> int:
    """Rows in the purchase table (a check that the load went through)."""
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        cursor = raw.cursor()
        cursor.execute("SELECT count(*) FROM purchase")
        found = int(cursor.fetchone()[0])
        cursor.close()
        return found
