"""What every Slack listener needs: the app context, tracked background work, and who the staff are."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.services.staff import ensure_staff
from handlers.slack.people import TEAM_LANGUAGE, People, Person, StaffGroup
from storage.models import StaffMember

log = logging.getLogger(__name__)

BACKGROUND_LIMIT = 4
"""Jobs running at once. Each mostly waits on a database thread; more of them only fight the event
loop for the GIL, which delays the next acks (measured: 50 concurrent commands on 2 cores, p99 of
the ack 205 ms unlimited, 30-50 ms with 4; the replies came sooner too)."""


class Background:
    """Work started after the ack: tracked, so stopping the app waits for it instead of dropping it,
    and limited, so a burst of commands cannot starve the acks of the next ones."""

    def __init__(self, limit: int = BACKGROUND_LIMIT) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._limit = asyncio.Semaphore(limit)

    async def _limited(self, work: Coroutine[Any, Any, None]) -> None:
        async with self._limit:
            await work

    def spawn(
        self, work: Coroutine[Any, Any, None], *, name: str, urgent: bool = False
    ) -> asyncio.Task[None]:
        """Run `work` soon; `urgent` skips the queue (opening a modal: its trigger_id lasts 3 s)."""
        task = asyncio.get_running_loop().create_task(work if urgent else self._limited(work), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack background task %s failed", task.get_name(), exc_info=task.exception())

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait for the running work (new work it starts too); cancel what is left after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                for task in list(self._tasks):
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*self._tasks, return_exceptions=True)
                return
            await asyncio.wait(list(self._tasks), timeout=remaining)


@dataclass
class SlackDeps:
    ctx: AppContext
    background: Background = field(default_factory=Background)
    people: People = field(default_factory=People)
    staff_group: StaffGroup = field(init=False)

    def __post_init__(self) -> None:
        self.staff_group = StaffGroup(self.ctx.settings.slack_staff_group)

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def team_t(self) -> Translator:
        return translator(TEAM_LANGUAGE)

    async def person(self, client: AsyncWebClient, user_id: str) -> tuple[Person, Translator]:
        person = await self.people.get(client, user_id)
        return person, translator(person.language)

    def known_t(self, user_id: str) -> Translator:
        """The language of a user already seen, else English (for validation errors inside the ack)."""
        person = self.people.peek(user_id)
        return translator(person.language if person else TEAM_LANGUAGE)

    async def staff(self, person: Person) -> StaffMember:
        """The staff row for a Slack user (created on first use; the role follows SLACK_ADMIN_USER_IDS)."""
        return await self.ctx.call(
            ensure_staff,
            self.ctx.clock,
            slack_user_id=person.user_id,
            name=person.name,
            admin_ids=self.settings.admin_user_ids,
        )


def actor(user_id: str) -> str:
    """How a Slack user appears in the ledger and the audit log."""
    return f"slack:{user_id}"
