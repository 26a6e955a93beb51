"""The claim of the inbound update or event a request handles travels with the request and is written
by the first transaction of that request that commits an effect (issue 13).

The adapter that received a Telegram update or a Slack event sets `carrying(claim)` for the time it
handles it; the context goes with every service call (asyncio tasks and `asyncio.to_thread` copy
it). A unit of work that commits a write or an event while a claim is pending inserts the claim's
`processed_update` row in the same transaction: the claim and the effect commit together, so a
crash between them loses neither alone, and the platform's redelivery is handled as new. If the row
is already there, another delivery of the same update committed first (a concurrent replay): the
transaction is rolled back and `InboundReplayed` raised, which the adapters answer with silence. A
request that writes nothing has its claim recorded by the adapter at its end (`record_claims`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import TextClause

from storage.models import ProcessedUpdate

WROTE = "inbound_claim.wrote"
"""`Session.info` key: the session executed a write (an INSERT, UPDATE or DELETE, or a flush)."""


@dataclass
class InboundClaim:
    platform: str
    key: str
    at: datetime
    state: Literal["pending", "claimed", "replayed"] = "pending"
    """pending: nothing committed yet; claimed: its row committed with an effect (or at the end);
    replayed: another delivery of the same update got there first."""

    @property
    def pending(self) -> bool:
        return self.state == "pending"


class InboundReplayed(Exception):
    """The update's claim was taken by another delivery of it while this one ran: nothing was changed."""

    def __init__(self, claim: InboundClaim) -> None:
        super().__init__(f"{claim.platform} update {claim.key} was handled by another delivery")
        self.claim = claim


_CURRENT: contextvars.ContextVar[InboundClaim | None] = contextvars.ContextVar("inbound_claim", default=None)


def current_claim() -> InboundClaim | None:
    return _CURRENT.get()


def set_claim(claim: InboundClaim | None) -> None:
    """Carry `claim` for the rest of the current task (and what it starts)."""
    _CURRENT.set(claim)


@contextmanager
def carrying(claim: InboundClaim | None) -> Iterator[InboundClaim | None]:
    token = _CURRENT.set(claim)
    try:
        yield claim
    finally:
        _CURRENT.reset(token)


def claim_row(claim: InboundClaim) -> dict[str, Any]:
    return {"platform": claim.platform, "update_key": claim.key[:128], "processed_at": claim.at}


def insert_claims(session: Session, claims: Sequence[InboundClaim]) -> set[tuple[str, str]]:
    """Insert the claims' rows where free; the (platform, key) pairs inserted now."""
    if not claims:
        return set()
    table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing().returning(table.c.platform, table.c.update_key)
    rows = list({(c.platform, c.key[:128]): claim_row(c) for c in claims}.values())
    return {(str(p), str(k)) for p, k in session.execute(statement, rows).all()}


def commit_claim_with(session: Session, has_events: bool) -> InboundClaim | None:
    """Before a commit: the pending claim to insert with this transaction's effect, if any."""
    claim = _CURRENT.get()
    if claim is None or not claim.pending:
        return None
    if not (has_events or session.info.get(WROTE)):
        return None
    return claim


_WRITES = ("insert", "update", "delete")


@event.listens_for(Session, "do_orm_execute")
def _note_write(state: ORMExecuteState) -> None:
    statement = state.statement
    textual = isinstance(statement, TextClause) and statement.text.lstrip()[:6].lower() in _WRITES
    if state.is_insert or state.is_update or state.is_delete or textual:
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: object) -> None:
    session.info[WROTE] = True
