"""Fixtures: a real SQLite file and a real PostgreSQL server, each migrated with Alembic."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext
from storage.db import create_db_engine
from storage.schema import upgrade
from tests.support.postgres import PostgresServer, PostgresUnavailable, start_postgres

REPO = Path(__file__).resolve().parents[1]
CDNOW = REPO / "bot" / "demo" / "data" / "cdnow_sample.csv"
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available on this machine: {exc}")
    engine = create_db_engine(server.admin_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE DATABASE rb_template"))
    engine.dispose()
    template = create_db_engine(server.url("rb_template"))
    upgrade(template)
    template.dispose()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _fresh_postgres_url(server: PostgresServer) -> str:
    name = f"rb_test_{os.getpid()}_{next(_counter)}"
    engine = create_db_engine(server.admin_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE rb_template'))
    engine.dispose()
    return server.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated database: each test gets its own, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "retention.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return _fresh_postgres_url(server)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "retention.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    return _fresh_postgres_url(postgres_server)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


def make_context(database_url: str, clock: ManualClock, **overrides: object) -> AppContext:
    settings = Settings(_env_file=None, database_url=database_url, **overrides)  # type: ignore[call-arg]
    return AppContext.from_settings(settings, clock=clock)


@pytest.fixture
def ctx(database_url: str, clock: ManualClock) -> Iterator[AppContext]:
    context = make_context(database_url, clock)
    yield context
    context.close()
