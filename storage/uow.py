"""Unit of work: one session and one transaction per update, command or job.

Services receive a `UnitOfWork` and enter it with `with uow:`; nested entries join the outer
transaction, so a service can call another and both commit (or roll back) together.

The domain events a service records (`emit`) are written to the outbox table in the same
transaction, just before the commit (storage/outbox.py): an event exists if and only if what it
talks about was committed, and a crash after the commit loses none of them. The route's
`on_commit` then wakes the senders that deliver them.

The claim of the inbound update or event being handled (storage/inbound_claim.py) is inserted by
the first transaction of its request that commits a write or an event: the claim and its effect
commit together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import READ_ONLY
from storage.inbound_claim import InboundReplayed, commit_claim_with, insert_claims
from storage.outbox import NOTHING, OutboxRoute, write_events

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(
        self,
        engine: Engine,
        outbox: OutboxRoute | None = None,
        *,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        """`outbox`: where the events it records are written at its commit (storage/outbox.py).
        `info`: copied into each session's `Session.info`, for what a query needs from the settings
        but not from the database (the erasure key of bot/services/suppression.py)."""
        self._engine = engine
        self._outbox = outbox or OutboxRoute()
        self._info = dict(info or {})
        self._depth = 0
        self._read_only = False
        self._session: Session | None = None
        self._pending_events: list[object] = []
        self.committed_events: list[object] = []
        """Events recorded during a unit of work that committed (they are in the outbox table)."""
        self.keep_outbox_ids = False
        """Set it to have `outbox_ids` filled (to wait for those rows' delivery)."""
        self.outbox_ids: list[int] = []
        """The outbox rows those events were written to (with `keep_outbox_ids`)."""

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `with uow:`")
        return self._session

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        if self._depth == 0:
            self._session = Session(self._engine, expire_on_commit=False, info=self._info)
            if self._read_only:  # take the connection now, so its transaction begins as a read
                self._session.connection(execution_options={READ_ONLY: True})
        self._depth += 1
        return self

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """`with uow:` for a block that only reads. On SQLite its transaction starts with a plain
        BEGIN instead of BEGIN IMMEDIATE: a long read (scoring loads every purchase) takes no write
        lock, writers carry on beside it (WAL), and the read sees one consistent snapshot. Inside
        an open unit of work it simply joins."""
        self._read_only = self._depth == 0
        try:
            with self:
                yield self
        finally:
            self._read_only = False

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        session, self._session = self.session, None
        try:
            if exc_type is None:
                events = self._pending_events
                claim = None if self._read_only else commit_claim_with(session, bool(events))
                if claim is not None and not insert_claims(session, [claim]):
                    session.rollback()  # another delivery of this update committed first
                    claim.state = "replayed"
                    raise InboundReplayed(claim)
                route = self._outbox
                written = (
                    write_events(
                        session, events, route.destinations, route.unwanted, with_ids=self.keep_outbox_ids
                    )
                    if events
                    else NOTHING
                )
                session.commit()
                if claim is not None:
                    claim.state = "claimed"
                self.committed_events.extend(events)
                self.outbox_ids.extend(written.ids)
                if written.rows and route.on_commit is not None:
                    self._wake(route.on_commit, written.destinations)
            else:
                session.rollback()
        finally:
            self._pending_events = []
            session.close()

    @staticmethod
    def _wake(wake: Callable[[Collection[str]], None], destinations: Collection[str]) -> None:
        try:
            wake(destinations)
        except Exception:  # the rows are committed; a sender's next poll finds them anyway
            log.exception("could not wake the outbox senders")

    def flush(self) -> None:
        self.session.flush()

    def emit(self, event: object) -> None:
        """Record a domain event: written to the outbox with this unit of work's commit (and only then)."""
        self._pending_events.append(event)


UowFactory = Callable[[], UnitOfWork]


def uow_factory(engine: Engine) -> UowFactory:
    """A factory that makes a fresh unit of work per call (never share one between requests)."""
    return lambda: UnitOfWork(engine)
