"""The outbox sender: delivers the events units of work committed to the outbox table, to the
subscribers of the adapters running in this process, with retries.

Each adapter (Telegram, Slack) attaches its destination when it starts; one sender per process
then claims that destination's due rows under a lease (bot/services/outbox.py), hands each event
to the destination's subscribers, and records what came of it:

- delivered: every subscriber returned;
- a subscriber raised: tried again after a growing delay (1 s, 2 s, 4 s … at most 5 minutes), or
  after the platform's own Retry-After (Telegram's RetryAfter, Slack's HTTP 429), which delays
  a row but never counts towards giving it up: a rate limit delays a message, it does not drop it;
- still failing `give_up_after` (24 hours) after its first failure: given up, with an error log
  line; `retention-bot jobs` lists it.

One customer's (else one ticket's …) rows for one destination are delivered one after another in
commit order; different customers' in parallel. After a commit the unit of work wakes the sender
at once (the bus's wake-up), so delivery starts as soon as the data is there; otherwise it looks
every `poll` seconds (rows another process committed, retries that fell due).

A delivery that ran when the process died is delivered again by whoever takes the row next (the
lease of a dead process on this host is expired at start, another host's after `lease`): at least
once where a send and its record cannot be one transaction. docs/decisions.md lists where.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import secrets
import socket
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

from bot.clock import Clock, SystemClock
from bot.services import outbox as rows
from bot.services.outbox import Claim, ClaimedRow, Outcome
from storage.outbox import UnknownEvent, decode_event, type_name
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

R = TypeVar("R")
SYNC_GAP: Final = 0.02
"""Seconds at least between two looks at the table: commits in a burst wake the sender once."""
STOP_GRACE: Final = 10.0
"""Seconds a stopping sender lets deliveries in flight finish before it abandons them."""


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 1.0
    max_delay: float = 300.0
    give_up_after: timedelta = timedelta(hours=24)

    def delay(self, failures: int) -> float:
        """Seconds before try number `failures + 1`."""
        return float(min(self.first_delay * 2 ** max(failures - 1, 0), self.max_delay))


@dataclass(frozen=True)
class Delivery:
    """The row being delivered, for a subscriber that needs to know (`current_delivery()`)."""

    row_id: int
    destination: str
    taken_over: bool
    """The row was claimed before by a sender that died or stopped mid-delivery: the event may
    have gone out already. A subscriber whose own claim says "done" should deliver anyway (at
    least once) rather than drop it."""
    failures: int = 0
    """Earlier tries that failed (one may have reached the platform, if it did not answer)."""

    @property
    def again(self) -> bool:
        """Not the first try: an earlier one may have landed (a timeout, a sender that died)."""
        return self.taken_over or self.failures > 0


_CURRENT: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar("outbox_delivery", default=None)


def current_delivery() -> Delivery | None:
    return _CURRENT.get()


def platform_retry_after(error: BaseException) -> float | None:
    """Seconds the platform asked to wait (Telegram's RetryAfter, Slack's 429 Retry-After), if it did."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        delay = getattr(current, "_retry_after", None) or getattr(current, "retry_after", None)
        if isinstance(delay, timedelta):
            return delay.total_seconds()
        if isinstance(delay, (int, float)) and not isinstance(delay, bool):
            return float(delay)
        response = getattr(current, "response", None)
        if getattr(response, "status_code", None) == 429:
            headers = getattr(response, "headers", None) or {}
            raw = next((v for k, v in dict(headers).items() if str(k).lower() == "retry-after"), None)
            try:
                return max(float(raw), 1.0) if raw is not None else 1.0
            except (TypeError, ValueError):
                return 1.0
        current = current.__cause__ or current.__context__
    return None


def _owner() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


class OutboxSender:
    def __init__(
        self,
        ctx: AppContext,
        *,
        policy: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 200,
        concurrency: int = 32,
        poll: float = 2.0,
        clock: Clock | None = None,
    ) -> None:
        self.ctx = ctx
        self.clock = clock or SystemClock()
        """The sender's own time (backoff, leases): the system's, also when the business clock is
        moved by the demo or a test; a test may give one it moves."""
        self.policy = policy or RetryPolicy()
        self.lease = lease
        self.batch = batch
        self.poll = poll
        self.owner = _owner()
        self._destinations: list[str] = []
        self._limit = asyncio.Semaphore(concurrency)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._outcomes: list[Outcome] = []
        self._chains: set[asyncio.Task[None]] = set()
        self._held: set[int] = set()
        """Rows claimed and not yet settled (their lease is renewed)."""
        self._stopping = False
        self._syncs = 0
        self._idle_after = 0
        """The number of the latest sync after which nothing was claimable or in flight."""

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def destinations(self) -> tuple[str, ...]:
        return tuple(self._destinations)

    async def attach(self, destination: str) -> None:
        """Deliver `destination`'s rows from now on (its adapter has subscribed its handlers)."""
        if destination not in self._destinations:
            self._destinations.append(destination)
        if self._runner is None or self._runner.done():
            self._loop = asyncio.get_running_loop()
            self._wakeup, self._idle = asyncio.Event(), asyncio.Event()
            self._stopping = False
            self.ctx.bus.on_wake(self._committed)
            self._runner = self._loop.create_task(self._run(), name="outbox-sender")
            self._runner.add_done_callback(_report_crash)
            self._renewer = self._loop.create_task(self._renew(), name="outbox-leases")
        self.wake()

    async def detach(self, destination: str) -> None:
        """Stop delivering `destination`'s rows; the last one out stops the sender (deliveries in
        flight get STOP_GRACE seconds, then are abandoned: the next sender takes them over)."""
        with contextlib.suppress(ValueError):
            self._destinations.remove(destination)
        if self._destinations:
            return
        runner, renewer = self._runner, self._renewer
        self._runner = self._renewer = None
        self.ctx.bus.off_wake(self._committed)
        if runner is None:
            return
        self._stopping = True  # the loop records what it has and ends (a claim in flight completes)
        if self._wakeup is not None:
            self._wakeup.set()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # a crash was logged already
            await runner
        if self._chains:
            _, running = await asyncio.wait(set(self._chains), timeout=STOP_GRACE)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        if renewer is not None:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        self._outcomes.extend(Outcome(row_id, "released") for row_id in self._held)
        self._held.clear()
        await self._flush_only()

    def _committed(self, destinations: Collection[str]) -> None:
        if any(d in self._destinations for d in destinations):
            self.wake()

    def wake(self) -> None:
        """Look for rows now (thread-safe: units of work commit in worker threads)."""
        loop, wakeup = self._loop, self._wakeup
        if loop is None or wakeup is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wakeup.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wakeup.set)

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until a look that began after this call found nothing claimable now and nothing in flight
        (tests wait with it for what their last call committed)."""
        idle = self._idle
        if self._runner is None or idle is None:
            return
        target = self._syncs + 1
        self.wake()
        async with asyncio.timeout(timeout):
            while self._idle_after < target:
                idle.clear()
                await idle.wait()

    # --- the loop ----------------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            expired = await self._db(rows.expire_dead_claims, host=self.owner.split(":")[0], now=self._now())
        except Exception:  # the database is not there yet: their leases run out instead
            log.exception("outbox: could not look for the claims of processes that died")
            expired = 0
        if expired:
            log.info("outbox: took over the deliveries of a process that died: %d", expired)
        assert self._wakeup is not None and self._idle is not None
        loop = asyncio.get_running_loop()
        last = 0.0
        while True:
            gap = SYNC_GAP - (loop.time() - last)
            if gap > 0 and not self._stopping:  # a burst of commits: one look for all of them
                await asyncio.sleep(gap)
            last = loop.time()
            self._wakeup.clear()
            stopping = self._stopping
            outcomes, self._outcomes = self._outcomes, []
            room = 0 if stopping else self.batch - len(self._held)
            claim = Claim(self.owner, self._now(), self.lease, self._subscribed(), room) if room > 0 else None
            self._syncs += 1
            number = self._syncs
            try:
                claimed = await self._db(rows.sync, self.owner, self._now(), outcomes, claim)
            except asyncio.CancelledError:
                self._outcomes[:0] = outcomes
                raise
            except Exception:
                self._outcomes[:0] = outcomes  # recorded with the next try
                log.exception("outbox: could not reach the database; trying again")
                if stopping:
                    return
                await self._sleep(1.0)
                continue
            if stopping:
                return
            for chain in _chains(claimed.rows):
                self._held.update(row.id for row in chain)
                task = asyncio.get_running_loop().create_task(self._deliver_chain(chain), name="outbox-chain")
                self._chains.add(task)
                task.add_done_callback(self._chain_done)
            if not claimed.rows and not self._chains and not self._outcomes:
                self._idle_after = number
                self._idle.set()
            wait = self.poll
            if claimed.soonest is not None:
                wait = min(wait, max((claimed.soonest - self._now()).total_seconds(), 0.0) + 0.01)
            await self._sleep(wait)

    async def _sleep(self, seconds: float) -> None:
        assert self._wakeup is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)

    def _chain_done(self, task: asyncio.Task[None]) -> None:
        self._chains.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox delivery failed unexpectedly", exc_info=task.exception())
        self.wake()

    async def _flush_only(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        if outcomes:
            try:
                await self._db(rows.sync, self.owner, self._now(), outcomes, None)
            except Exception:
                log.exception("outbox: could not record %d deliveries at stop", len(outcomes))

    def _subscribed(self) -> dict[str, set[str]]:
        bus = self.ctx.bus
        return {d: {type_name(kind) for kind in bus.subscribed_types(d)} for d in self._destinations}

    async def _renew(self) -> None:
        every = max(self.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            held = set(self._held)
            if not held:
                continue
            try:
                kept = await self._db(rows.renew, owner=self.owner, ids=held, until=self._now() + self.lease)
            except Exception:
                log.exception("outbox: could not renew the leases of %d deliveries", len(held))
                continue
            lost = held - kept - {o.id for o in self._outcomes}
            lost &= self._held
            if lost:
                log.warning("outbox: deliveries %s were taken over by another sender", sorted(lost))

    # --- delivering --------------------------------------------------------------------------
    async def _deliver_chain(self, chain: list[ClaimedRow]) -> None:
        for position, row in enumerate(chain):
            async with self._limit:
                try:
                    outcome = await self._deliver(row)
                except asyncio.CancelledError:
                    self._settle(Outcome(row.id, "abandoned"))
                    self._settle_all(Outcome(later.id, "released") for later in chain[position + 1 :])
                    raise
            self._settle(outcome)
            if outcome.kind == "retry":  # the rest wait for it, in order
                self._settle_all(Outcome(later.id, "released") for later in chain[position + 1 :])
                return

    def _settle(self, outcome: Outcome) -> None:
        self._held.discard(outcome.id)
        self._outcomes.append(outcome)
        self.wake()

    def _settle_all(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self._settle(outcome)

    async def _deliver(self, row: ClaimedRow) -> Outcome:
        try:
            event = decode_event(row.event_type, row.payload)
        except UnknownEvent as exc:
            log.error("outbox: row %s holds an event this version cannot read (%s): given up", row.id, exc)
            return Outcome(row.id, "gave_up", row.done, failures=row.failures, error=f"unknown event: {exc}")
        subscribers = self.ctx.bus.subscribers(type(event), row.destination)
        if not subscribers:  # unsubscribed meanwhile (stopping): the next sender decides
            return Outcome(row.id, "released")
        done = list(row.done)
        token = _CURRENT.set(Delivery(row.id, row.destination, row.taken_over, row.failures))
        try:
            for number, subscriber in enumerate(subscribers, start=1):
                if subscriber.name in done:
                    continue
                try:
                    await subscriber.handler(event)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    return self._failed(row, event, done, exc)
                done.append(subscriber.name)
                if number < len(subscribers):  # a retry must not repeat this one
                    await self._db(rows.save_progress, row_id=row.id, owner=self.owner, done=done)
        finally:
            _CURRENT.reset(token)
        return Outcome(row.id, "delivered", tuple(done))

    def _failed(self, row: ClaimedRow, event: object, done: list[str], error: Exception) -> Outcome:
        now = self._now()
        what = f"{type(event).__name__} to {row.destination} (row {row.id})"
        reason = f"{type(error).__name__}: {error}"[:500]
        wait = platform_retry_after(error)
        if wait is not None:
            log.warning("outbox: %s rate limited; again in %.0f s", what, wait)
            return Outcome(
                row.id,
                "retry",
                tuple(done),
                next_attempt_at=now + timedelta(seconds=wait),
                failures=row.failures,
                failing_since=row.failing_since,
                error=reason,
            )
        failures = row.failures + 1
        since = row.failing_since or now
        if now - since >= self.policy.give_up_after:
            log.error(
                "outbox: gave up delivering %s after %d tries since %s: %s",
                what,
                failures,
                since.isoformat(timespec="seconds"),
                reason,
            )
            return Outcome(row.id, "gave_up", tuple(done), failures=failures, error=reason)
        delay = self.policy.delay(failures)
        log.warning(
            "outbox: delivering %s failed (try %d), again in %.0f s: %s",
            what,
            failures,
            delay,
            reason,
            exc_info=error if failures == 1 else None,
        )
        return Outcome(
            row.id,
            "retry",
            tuple(done),
            next_attempt_at=now + timedelta(seconds=delay),
            failures=failures,
            failing_since=since,
            error=reason,
        )

    # --- helpers -----------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock.now()

    async def _db(self, service: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        uow: UnitOfWork = self.ctx.uow()
        return await asyncio.to_thread(service, uow, *args, **kwargs)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.critical(
            "outbox: the sender stopped; nothing is delivered until a restart", exc_info=task.exception()
        )


def _chains(claimed: list[ClaimedRow]) -> list[list[ClaimedRow]]:
    """The claimed rows by (destination, aggregate), each list in commit order."""
    chains: dict[tuple[str, str] | int, list[ClaimedRow]] = {}
    for row in claimed:
        key: tuple[str, str] | int = (row.destination, row.aggregate) if row.aggregate else row.id
        chains.setdefault(key, []).append(row)
    return list(chains.values())


async def wait_delivered(
    ctx: AppContext,
    ids: Collection[int],
    timeout: float,  # noqa: ASYNC109
    destination: str | None = None,
) -> int:
    """Wait until the rows `ids` (those for `destination`) are delivered or given up, at most `timeout`
    seconds, by whichever process delivers them; how many are still pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = await asyncio.to_thread(rows.still_pending, ctx.uow(), ids, destination)
        if not left or loop.time() >= deadline:
            return left
        await asyncio.sleep(0.05)
