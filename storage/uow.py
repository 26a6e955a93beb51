"""Unit of work: one session and one transaction per update, command or job.

Services receive a `UnitOfWork` and enter it with `with uow:`; nested entries join the outer
transaction, so a service can call another and both commit (or roll back) together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import READ_ONLY


class UnitOfWork:
    def __init__(self, engine: Engine, *, info: Mapping[str, Any] | None = None) -> None:
        """`info`: copied into each session's `Session.info`, for what a query needs from the settings
        but not from the database (the erasure key of bot/services/suppression.py)."""
        self._engine = engine
        self._info = dict(info or {})
        self._depth = 0
        self._read_only = False
        self._session: Session | None = None
        self._pending_events: list[object] = []
        self.committed_events: list[object] = []
        """Events recorded during a unit of work that committed; the adapter publishes them."""

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
                session.commit()
                self.committed_events.extend(self._pending_events)
            else:
                session.rollback()
        finally:
            self._pending_events = []
            session.close()

    def flush(self) -> None:
        self.session.flush()

    def emit(self, event: object) -> None:
        """Record a domain event; it is published only if this unit of work commits."""
        self._pending_events.append(event)


UowFactory = Callable[[], UnitOfWork]


def uow_factory(engine: Engine) -> UowFactory:
    """A factory that makes a fresh unit of work per call (never share one between requests)."""
    return lambda: UnitOfWork(engine)
