"""Writing a day's risk snapshots in bulk: the day's old rows go, the new ones arrive in one pass.

SQLite takes them through the driver's `executemany`; PostgreSQL through `COPY … FROM STDIN`,
both inside the unit of work's transaction, so a failed run leaves the previous rows in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import delete
from sqlmodel import col

from bot.analytics import ScoreResult
from bot.services.risk_reasons import reasons_to_json
from storage.models import RiskSnapshot
from storage.uow import UnitOfWork

COLUMNS = (
    "customer_id",
    "as_of",
    "frequency",
    "recency_weeks",
    "age_weeks",
    "p_alive",
    "expected_purchases_90d",
    "expected_order_value",
    "clv",
    "rfm",
    "segment",
    "stage",
    "at_risk",
    "value_at_risk",
    "reasons",
)
_BATCH = 50_000


def stored_reasons(result: ScoreResult) -> list[str]:
    """Each customer's reasons in their stored form (a JSON list; "[]" when not at risk)."""
    reasons = ["[]"] * result.n_customers
    for i in np.flatnonzero(result.at_risk.flagged).tolist():
        reasons[i] = reasons_to_json(result.at_risk.reasons[i])
    return reasons


def snapshot_rows(result: ScoreResult, as_of: date, reasons: list[str]) -> Iterator[tuple[Any, ...]]:
    """One row per scored customer, in COLUMNS order; `reasons` as `stored_reasons` gives them.

    Built a block of customers at a time, so a million customers never exist as Python objects at once.
    """
    s, rfm, risk = result.summary, result.rfm, result.at_risk
    for start in range(0, s.n_customers, _BATCH):
        part = slice(start, start + _BATCH)
        r, f, m = rfm.r[part], rfm.f[part], rfm.m[part]
        codes = np.char.add(np.char.add(r.astype("U1"), f.astype("U1")), m.astype("U1")).tolist()
        yield from zip(
            s.customer[part].tolist(),
            [as_of] * len(codes),
            s.frequency[part].tolist(),
            s.recency[part].tolist(),
            s.T[part].tolist(),
            result.p_alive[part].tolist(),
            result.expected_purchases[part].tolist(),
            result.expected_order_value[part].tolist(),
            result.clv[part].tolist(),
            codes,
            rfm.segment[part].tolist(),
            result.stage[part].tolist(),
            risk.flagged[part].tolist(),
            risk.value_at_risk[part].tolist(),
            reasons[part],
            strict=True,
        )


def replace_snapshots(uow: UnitOfWork, as_of: date, rows: Iterable[tuple[Any, ...]]) -> int:
    """Delete the day's snapshots and insert `rows` (COLUMNS order); returns how many were written."""
    with uow:
        uow.session.execute(delete(RiskSnapshot).where(col(RiskSnapshot.as_of) == as_of))
        raw: Any = uow.session.connection().connection.driver_connection
        if uow.dialect == "postgresql":
            return _copy_in(raw, rows)
        return _executemany(raw, rows)


def _copy_in(raw: Any, rows: Iterable[tuple[Any, ...]]) -> int:
    written = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY risk_snapshot ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _executemany(raw: Any, rows: Iterable[tuple[Any, ...]]) -> int:
    statement = f"INSERT INTO risk_snapshot ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    written = 0
    batch: list[tuple[Any, ...]] = []
    cursor = raw.cursor()
    try:
        for row in rows:
            # sqlite3 would store a date through its deprecated adapter: write the ISO text SQLAlchemy uses.
            batch.append((row[0], row[1].isoformat(), *row[2:]))
            if len(batch) == _BATCH:
                cursor.executemany(statement, batch)
                written += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(statement, batch)
            written += len(batch)
    finally:
        cursor.close()
    return written
