"""The composition of settings, business rules, database and clock that every entry point needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.config import BusinessRules, Settings, load_rules
from storage.db import create_db_engine
from storage.uow import UnitOfWork


@dataclass
class AppContext:
    settings: Settings
    rules: BusinessRules
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> AppContext:
        return cls(
            settings=settings, rules=load_rules(settings.retention_config), clock=clock or SystemClock()
        )

    @cached_property
    def engine(self) -> Engine:
        return create_db_engine(self.settings.database_url)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (one per command, update or job)."""
        return UnitOfWork(self.engine)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
