"""The composition of settings, business rules, database, clock and event bus every entry point needs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.config import BusinessRules, Settings, load_rules
from bot.events import EventBus
from bot.metrics import Metrics
from bot.services.backlog import read_backlog
from bot.services.suppression import uow_info
from storage.db import create_db_engine
from storage.uow import UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class AppContext:
    settings: Settings
    rules: BusinessRules
    clock: Clock = field(default_factory=SystemClock)
    bus: EventBus = field(default_factory=EventBus)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> AppContext:
        return cls(
            settings=settings, rules=load_rules(settings.retention_config), clock=clock or SystemClock()
        )

    @cached_property
    def engine(self) -> Engine:
        return create_db_engine(self.settings.database_url)

    @cached_property
    def metrics(self) -> Metrics:
        """This process's counters, and the database's gauges (read at each scrape of /metrics)."""
        return Metrics(backlog=lambda: read_backlog(self.uow()))

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (one per command, update or job)."""
        return UnitOfWork(self.engine, info=self._uow_info)

    @cached_property
    def _uow_info(self) -> dict[str, object]:
        key = self.settings.erasure_key
        return uow_info(key.get_secret_value() if key is not None else None)

    async def call(
        self, service: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a (blocking) service function in a worker thread with a fresh unit of work, then
        publish the events it recorded — only if it committed."""
        uow = self.uow()
        result = await asyncio.to_thread(service, uow, *args, **kwargs)
        await self.bus.publish(uow.committed_events)
        return result

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
