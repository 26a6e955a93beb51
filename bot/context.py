"""The composition of settings, business rules, database, clock and event bus every entry point needs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine

from bot.clock import Clock, SystemClock
from bot.config import BusinessRules, Settings, load_rules
from bot.events import EventBus
from bot.metrics import Metrics
from bot.services.backlog import read_backlog
from bot.services.suppression import uow_info
from storage.db import create_db_engine
from storage.outbox import OutboxRoute
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.outbox import OutboxSender

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

    @cached_property
    def outbox_destinations(self) -> tuple[str, ...]:
        """The adapters this setup has (a token each): every event gets an outbox row for each."""
        settings = self.settings
        wanted = (("telegram", settings.telegram_bot_token), ("slack", settings.slack_bot_token))
        return tuple(name for name, token in wanted if token is not None)

    @cached_property
    def _outbox_route(self) -> OutboxRoute:
        return OutboxRoute(self.outbox_destinations, on_commit=self.bus.wake, unwanted=self._unwanted)

    def _unwanted(self, destination: str, event_type: type) -> bool:
        """True for an adapter this process delivers for that does not react to the event: its row
        would only be deleted by the sender (any other process runs the same code)."""
        sender = self.__dict__.get("outbox")
        return (
            sender is not None
            and destination in sender.destinations
            and not self.bus.has_subscribers(event_type, destination)
        )

    @cached_property
    def outbox(self) -> OutboxSender:
        """This process's outbox sender; the Telegram and Slack components attach to it."""
        from bot.outbox import OutboxSender

        return OutboxSender(self)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (one per command, update or job); its events go to the outbox."""
        return UnitOfWork(self.engine, self._outbox_route, info=self._uow_info)

    @cached_property
    def _uow_info(self) -> dict[str, object]:
        key = self.settings.erasure_key
        return uow_info(key.get_secret_value() if key is not None else None)

    async def call(
        self, service: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a (blocking) service function in a worker thread with a fresh unit of work. The events
        it recorded are in the outbox once it committed, and the senders are woken."""
        return await asyncio.to_thread(service, self.uow(), *args, **kwargs)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
