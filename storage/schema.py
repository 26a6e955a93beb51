"""Schema management on top of Alembic: upgrade to head, and tell whether a database is current."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


class SchemaOutOfDate(RuntimeError):
    """The database needs `retention-bot migrate` before the bot can run on it."""


def upgrade(engine: Engine) -> SchemaStatus:
    """Create or upgrade the schema to the newest revision."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return status(engine)


def status(engine: Engine) -> SchemaStatus:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return SchemaStatus(current=current, head=head)


def require_current(engine: Engine) -> None:
    """Refuse to work on an out-of-date schema, naming the command that fixes it."""
    found = status(engine)
    if not found.up_to_date:
        state = "has no schema yet" if found.current is None else f"is at revision {found.current}"
        raise SchemaOutOfDate(
            f"the database {state}, but this version needs {found.head}: run `retention-bot migrate`"
        )
