"""The fault suite's harness (issue 13): `kill -9` of a real retention-bot process at random points
while it does a customer's or a staff member's work, a restart, and a count, from the platforms'
records (the sandboxes) and from the database, of what was lost and what was done twice.

Each scenario is a coroutine `(Run) -> Tally`: it builds its own sandboxes and customers in the
run's database and directory, repeats its kill points, and checks after each. `make test` runs a
few kill points per scenario (tests/e2e/test_fault_suite.py); `make soak` many (benchmarks/soak.py).

A kill point is placed at random (seeded): the harness waits until a random number of the round's
effects are visible on the platform (0 … all but one), then a random extra delay, then SIGKILL. So
kills land before the first effect, between effects and after the last one.

"Lost": an action the platform acknowledged (a Telegram update stored by Telegram, a Slack event it
retries until answered 2xx, an import the CLI finished, a campaign the CLI started) whose effect
never came. "Doubled": an effect that came more than once (on the platform or in the database).
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bot.config import Settings
from bot.context import AppContext
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.services.customers import create_customer, link_chat
from bot.services.loyalty import credit_points
from tests.support.bot_process import (
    BINARY,
    BotProcess,
    clean_env,
    free_port,
    running_bot,
    slack_settings,
    telegram_settings,
)

SECRET = "fault-suite-signing-secret"
SLACK_RETRIES = (0.5, 4.0, 12.0)
"""Slack's retries of a failed event (at once, 1 min, 5 min) on a fast clock that still outlasts a
restart of the bot (a few seconds)."""
START_TIMEOUT = 180.0
"""A start of `retention-bot run` on a machine this suite and others load can take a minute."""
SURVEY_QUESTION = "How likely are you to recommend"
COUPON = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")


@dataclass
class Tally:
    """What one scenario saw over its kill points."""

    scenario: str
    kill_points: int = 0
    """Kills that hit a live process at the chosen moment, each followed by a restart and a check."""
    failed_points: int = 0
    """Kill points after which something was lost (the others were survived)."""
    lost: int = 0
    replies_lost: int = 0
    """The customer's own answer to what they did (the coupon, the ticket's number) that never came
    although the effect committed: such replies are sent after the commit, not through the outbox
    (SPEC §7 puts the effects on the other platform there). Reported, not part of `lost`."""
    doubled: int = 0
    doubled_documented: int = 0
    """Of `doubled`: in a window docs/decisions.md documents as "at least once" (counted, not hidden)."""
    effects: int = 0
    """Effects checked (messages, rows, alerts, replies) over all kill points."""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.notes.append(line)

    def count_round(
        self, label: str, *, effects: int, lost: int, doubled: int, hit: int, documented: int = 0
    ) -> None:
        """One round's checked effects, losses and doubles (`hit`: its kill points, failed if any
        was lost); a note names the round when something was lost or doubled."""
        self.effects += effects
        self.lost += lost
        self.failed_points += hit if lost else 0
        self.doubled += doubled
        self.doubled_documented += documented
        if lost or doubled:
            self.note(f"{label}: lost {lost}, doubled {doubled}")

    def add(self, other: Tally) -> None:
        self.kill_points += other.kill_points
        self.failed_points += other.failed_points
        self.lost += other.lost
        self.replies_lost += other.replies_lost
        self.doubled += other.doubled
        self.doubled_documented += other.doubled_documented
        self.effects += other.effects
        self.seconds += other.seconds
        self.notes += other.notes


@dataclass
class Run:
    """One scenario's run: where, on what database, how many kill points, which randomness."""

    directory: Path
    database_url: str
    kills: int
    seed: int
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


# --- plumbing ------------------------------------------------------------------------------------


def context(database_url: str) -> AppContext:
    """An in-process context on the system clock (the bot process runs on it too), for seeding."""
    return AppContext.from_settings(Settings(_env_file=None, database_url=database_url))  # type: ignore[call-arg]


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


async def until(probe: Callable[[], bool], within: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + within
    while not probe():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def kill_9(process: asyncio.subprocess.Process) -> bool:
    """SIGKILL: no shutdown, no cleanup. False if the process had already exited by itself."""
    if process.returncode is not None:
        return False
    process.send_signal(signal.SIGKILL)
    await process.wait()
    return process.returncode == -signal.SIGKILL


async def kill_point(
    rng: random.Random,
    process: asyncio.subprocess.Process,
    progress: Callable[[], int],
    total: int,
    *,
    jitter: float,
    within: float = 60,
) -> tuple[bool, str]:
    """Kill `process` once a random number (what shows now … total-1) of `total` effects show, plus a
    random delay.

    Returns whether the kill hit a live process, and where it landed (for the failure message)."""
    start = min(progress(), total - 1)
    after = rng.randrange(start, total) if total > 0 else 0
    extra = rng.uniform(0, jitter)
    await until(lambda: progress() >= after or process.returncode is not None, within, step=0.005)
    await asyncio.sleep(extra)
    seen = progress()
    hit = await kill_9(process)
    return hit, f"kill after {after}/{total} effects + {extra * 1000:.0f} ms (saw {seen})"


_cli_runs = iter(range(1_000_000))


async def start_cli(
    directory: Path, settings: Mapping[str, str], *args: str
) -> tuple[asyncio.subprocess.Process, Path]:
    """A CLI command started in the background; its output goes to the returned file."""
    log = directory / f"cli-{next(_cli_runs)}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(BINARY), *args, cwd=directory, env=clean_env({**settings, "COLUMNS": "200"}),
            stdout=sink, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    return process, log


def telegram_world() -> SandboxServer:
    return SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited()))


def seed_customers(
    database_url: str, telegram: TelegramSandbox, count: int, *, prefix: str, points: int = 0
) -> list[tuple[int, int]]:
    """`count` customers, each linked to a new sandbox chat and holding `points`: (customer, chat)."""
    ctx = context(database_url)
    made = []
    try:
        for n in range(count):
            user = telegram.create_user(f"{prefix}{n}", language_code="en")
            with ctx.uow() as uow:
                customer = create_customer(uow, ctx.clock, external_id=f"{prefix}{n}", name=f"{prefix} {n}")
                link_chat(
                    uow, ctx.clock, customer, platform="telegram", user_id=str(user.id), chat_id=str(user.id)
                )
                assert customer.id is not None
                if points:
                    credit_points(
                        uow, ctx.clock, ctx.rules, customer_id=customer.id, points=points, kind="bonus",
                        reason="fault suite", actor="system", idempotency_key=f"fault:{prefix}{n}",
                        pending=False,
                    )  # fmt: skip
            made.append((customer.id, user.id))
    finally:
        ctx.close()
    return made


def last_update_id(sandbox: TelegramSandbox) -> int:
    """The update_id of what a person just did in the sandbox (the tests push one at a time)."""
    return int(sandbox.state.next_update_id) - 1


def why_lost(database_url: str, update_ids: list[int]) -> str:
    """For updates whose effect never came: claimed by the bot (processed_update) and then killed
    before the effect committed, or confirmed to Telegram (getUpdates' next offset) and never
    claimed: python-telegram-bot confirms a batch when it polls for the next, before handling it."""
    keys = {str(uid) for uid in update_ids}
    claimed = {str(r[0]) for r in query(database_url, "SELECT update_key FROM processed_update")} & keys
    parts = []
    if claimed:
        parts.append(f"{len(claimed)} claimed then killed before the effect")
    if len(keys) - len(claimed):
        parts.append(f"{len(keys) - len(claimed)} confirmed to Telegram by the next poll, never claimed")
    return ", ".join(parts)


def excess(counts: Mapping[Any, int]) -> int:
    return sum(max(0, n - 1) for n in counts.values())


def missing(counts: Mapping[Any, int]) -> int:
    return sum(1 for n in counts.values() if n == 0)


# --- campaign: `survey send --segment all` killed mid-send, then `survey resume` -----------------

CAMPAIGN_CUSTOMERS = 30
CAMPAIGN_KILLS_PER_ROUND = 3
"""Kill points per campaign: the send, then each `survey resume` but the last, killed."""


async def campaign(run: Run) -> Tally:
    """Staff start an NPS campaign to every customer from the CLI (its sender, SPEC §2); the process
    is killed mid-send and `survey resume` takes over and finishes. Each customer must get the
    survey exactly once, and the database must agree. A survey the killed sender had claimed may
    have arrived: the takeover sends it again (docs/decisions.md, "in doubt = at least once"), so a
    double there is counted as documented, up to the number `resume` reports in doubt."""
    tally = Tally("campaign")
    started = time.monotonic()
    with telegram_world() as server:
        sandbox = server.sandbox
        settings = {"DATABASE_URL": run.database_url, **telegram_settings(server)}
        remaining, round_no = run.kills, 0
        while remaining > 0:
            round_no += 1
            chats = seed_customers(run.database_url, sandbox, CAMPAIGN_CUSTOMERS, prefix=f"N{round_no}x")

            def surveyed(chat: int) -> int:
                return sum(SURVEY_QUESTION in (m.text or "") for m in sandbox.bot_messages(chat))

            def progress(chats: list[tuple[int, int]] = chats) -> int:
                return sum(surveyed(chat) > 0 for _, chat in chats)

            before = _newest_campaign(run.database_url)
            campaign_id, in_doubt, wheres, killed = 0, 0, [], 0
            for _ in range(min(remaining, CAMPAIGN_KILLS_PER_ROUND)):
                if campaign_id == 0:
                    args: tuple[str, ...] = ("survey", "send", "--segment", "all")
                else:
                    args = ("survey", "resume", str(campaign_id))
                process, log = await start_cli(run.directory, settings, *args)
                hit, where = await kill_point(run.rng, process, progress, CAMPAIGN_CUSTOMERS, jitter=0.3)
                in_doubt += _in_doubt(log.read_text(errors="replace"))
                newest = _newest_campaign(run.database_url)
                campaign_id = newest if newest != before else 0
                wheres.append(where if hit else f"finished first ({where})")
                if not hit:
                    break
                tally.kill_points += 1
                killed += 1
                remaining -= 1
            if campaign_id == 0:  # killed before the campaign existed: nothing was acknowledged yet
                await run_logged(run.directory, settings, "survey", "send", "--segment", "all")
                campaign_id = _newest_campaign(run.database_url)
            out = await run_logged(run.directory, settings, "survey", "resume", str(campaign_id))
            in_doubt += _in_doubt(out)
            where = "; ".join(wheres)
            await asyncio.sleep(0.3)  # a late copy would show by now
            counts = {chat: surveyed(chat) for _, chat in chats}
            db = dict(
                query(
                    run.database_url,
                    "SELECT customer_id, count(*) FROM survey_dispatch WHERE campaign_id = :c "
                    "AND status IN ('sent', 'awaiting_reason', 'answered') GROUP BY customer_id",
                    c=campaign_id,
                )
            )
            db_counts = {customer: int(db.get(customer, 0)) for customer, _ in chats}
            lost = max(missing(counts), missing(db_counts))
            doubled = excess(counts) + excess(db_counts)
            tally.effects += len(chats)
            tally.lost += lost
            tally.failed_points += killed if lost else 0
            tally.doubled += doubled
            tally.doubled_documented += min(doubled, in_doubt)
            if lost or doubled:
                tally.note(
                    f"round {round_no} ({where}): lost {lost}, doubled {doubled} "
                    f"({in_doubt} in doubt after the kill, sent again by design)"
                )
    tally.seconds = time.monotonic() - started
    return tally


def _newest_campaign(database_url: str) -> int:
    rows = query(database_url, "SELECT max(id) FROM survey_campaign")
    return int(rows[0][0] or 0) if rows else 0


def _in_doubt(output: str) -> int:
    found = re.search(r"(\d+) survey\(s\) in doubt", output)
    return int(found.group(1)) if found else 0


async def run_logged(directory: Path, settings: Mapping[str, str], *args: str, timeout: float = 120) -> str:  # noqa: ASYNC109
    """A CLI command to its end (exit 0 required); its output."""
    process = await asyncio.create_subprocess_exec(
        str(BINARY), *args, cwd=directory, env=clean_env({**settings, "COLUMNS": "200"}),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout)
    text_out = out.decode(errors="replace")
    if process.returncode != 0:
        raise AssertionError(f"retention-bot {' '.join(args)} exited {process.returncode}:\n{text_out}")
    return text_out


# --- a `retention-bot run` that the scenarios kill and restart --------------------------------------


class Bot:
    """`retention-bot run --no-scheduler ARGS`, started, killed with SIGKILL and started again."""

    def __init__(
        self, directory: Path, settings: Mapping[str, str], *args: str, parts: tuple[str, ...]
    ) -> None:
        self.directory, self.settings, self.args, self.parts = directory, settings, args, parts
        self._stack: AsyncExitStack | None = None
        self.process: BotProcess | None = None
        self.logs: list[Path] = []
        self.port = free_port()  # kept over restarts: Slack's Request URL does not change

    async def start(self) -> BotProcess:
        self._stack = AsyncExitStack()
        self.process = await self._stack.enter_async_context(
            running_bot(
                self.directory,
                self.settings,
                "--no-scheduler",
                *self.args,
                parts=self.parts,
                port=self.port,
                start_timeout=START_TIMEOUT,
            )
        )
        self.logs.append(self.process.log)
        return self.process

    async def stop(self) -> None:
        """SIGTERM (or nothing, if it was killed); its log is kept (the next start reuses the port)."""
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = None
        if self.process is not None and self.process.log.exists():
            kept = self.process.log.with_name(f"bot-{self.port}-{len(self.logs)}.log")
            self.process.log.rename(kept)
            self.logs[-1] = kept

    def taken_over(self) -> int:
        """Outbox deliveries the running process took over from the one killed before it: each may
        have reached the platform already (docs/decisions.md, "at least once")."""
        assert self.process is not None
        found = re.findall(r"took over the deliveries of a process that died: (\d+)", self.process.output())
        return sum(int(n) for n in found)

    async def kill_point(
        self, rng: random.Random, progress: Callable[[], int], total: int, *, jitter: float
    ) -> tuple[bool, str]:
        assert self.process is not None
        outcome = await kill_point(rng, self.process.process, progress, total, jitter=jitter)
        await self.stop()
        return outcome

    def output(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs)


def inline_buttons(message: Any) -> list[str]:
    markup = message.reply_markup or {}
    return [str(b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


def latest_with_button(sandbox: TelegramSandbox, chat: int, prefix: str) -> Any | None:
    for message in reversed(sandbox.bot_messages(chat)):
        if any(data.startswith(prefix) for data in inline_buttons(message)):
            return message
    return None


async def wait_or_fail(probe: Callable[[], Any], within: float, what: str, bot: Bot) -> None:
    if not await until(lambda: bool(probe()), within):
        raise AssertionError(f"{what}: not within {within} s\n{bot.output()[-4000:]}")


# --- redemption: customers confirm a reward in Telegram; the bot is killed meanwhile ---------------

REDEEMERS = 6
REDEEM_POINTS = 5000


async def redemption(run: Run) -> Tally:
    """Customers tap Redeem, then confirm; the bot is killed while the confirmations are handled and
    restarted. Each confirmation must give exactly one confirmed redemption, one coupon (the one
    the customer is shown) and one deduction; a tap Telegram stored is never lost."""
    tally = Tally("redemption")
    started = time.monotonic()
    with telegram_world() as server:
        sandbox = server.sandbox
        settings = {"DATABASE_URL": run.database_url, **telegram_settings(server)}
        chats = seed_customers(run.database_url, sandbox, REDEEMERS, prefix="R", points=REDEEM_POINTS)

        def coupons_shown(chat: int) -> set[str]:
            return coupons_shown_in(sandbox, chat)

        bot = Bot(run.directory, settings, "--no-slack", parts=("telegram",))
        await bot.start()
        try:
            for round_no in range(1, run.kills + 1):
                confirmations: dict[int, int] = {}  # chat → the confirmation message
                for _, chat in chats:
                    sandbox.push_text(chat, "/rewards")
                for _, chat in chats:
                    await wait_or_fail(
                        lambda c=chat, r=round_no: _unanswered_catalogue(sandbox, c, r),
                        30,
                        "the catalogue",
                        bot,
                    )
                    catalogue = _unanswered_catalogue(sandbox, chat, round_no)
                    data = next(d for d in inline_buttons(catalogue) if d.startswith("rw:ask:"))
                    sandbox.tap_button(chat, catalogue.message_id, data=data)
                for _, chat in chats:
                    await wait_or_fail(
                        lambda c=chat, known=confirmations: _new_confirmation(sandbox, c, known),
                        30,
                        "the confirmation",
                        bot,
                    )
                    confirmations[chat] = _new_confirmation(sandbox, chat, confirmations)
                before = {customer: _redeemed(run.database_url, customer) for customer, _ in chats}
                shown_before = {chat: coupons_shown(chat) for _, chat in chats}
                taps: dict[int, int] = {}
                for _, chat in chats:
                    sandbox.tap_button(
                        chat, confirmations[chat], data=_ok_button(sandbox, chat, confirmations[chat])
                    )
                    taps[chat] = last_update_id(sandbox)

                def progress(shown_before: dict[int, set[str]] = shown_before) -> int:
                    return sum(bool(coupons_shown(c) - shown_before[c]) for _, c in chats)

                def confirmed(before: dict[int, Redeemed] = before) -> bool:
                    done = all(
                        _redeemed(run.database_url, c).confirmed > before[c].confirmed for c, _ in chats
                    )
                    return done and progress() == len(chats)

                hit, where = await bot.kill_point(run.rng, progress, len(chats), jitter=0.4)
                await bot.start()
                await until(confirmed, 30, step=0.2)
                await asyncio.sleep(0.5)  # a second coupon would show by now
                tally.kill_points += hit
                lost = doubled = 0
                unhandled: list[int] = []
                for customer, chat in chats:
                    was, now = before[customer], _redeemed(run.database_url, customer)
                    shown = coupons_shown(chat)
                    unshown = (now.coupons - shown) - (was.coupons - shown_before[chat])
                    lost += int(now.confirmed == was.confirmed)
                    tally.replies_lost += len(unshown)
                    if now.confirmed == was.confirmed:
                        unhandled.append(taps[chat])
                    elif unshown:
                        tally.note(
                            f"round {round_no}: chat {chat}'s coupon was issued, its message never came"
                        )
                    doubled += max(0, now.confirmed - was.confirmed - 1)
                    doubled += max(0, len(now.coupons) - now.confirmed - (len(was.coupons) - was.confirmed))
                    doubled += int(now.overdrawn > was.overdrawn)
                    db_codes = now.coupons
                    if shown - db_codes:
                        raise AssertionError(
                            f"chat {chat} shows a coupon the database does not have: {shown - db_codes}"
                        )
                tally.count_round(
                    f"round {round_no} ({where})", effects=len(chats), lost=lost, doubled=doubled, hit=hit
                )
                if unhandled:
                    tally.note(f"round {round_no}: taps lost: {why_lost(run.database_url, unhandled)}")
        finally:
            await bot.stop()
    tally.seconds = time.monotonic() - started
    return tally


@dataclass(frozen=True)
class Redeemed:
    """One customer's redemptions as the database has them."""

    confirmed: int
    coupons: frozenset[str]
    overdrawn: int
    """Points deducted beyond the confirmed redemptions' cost (a deduction made twice)."""


def _redeemed(database_url: str, customer: int) -> Redeemed:
    confirmed, cost = query(
        database_url,
        "SELECT count(*), coalesce(sum(cost), 0) FROM redemption "
        "WHERE customer_id = :c AND status = 'confirmed'",
        c=customer,
    )[0]
    coupons = query(database_url, "SELECT code FROM coupon WHERE customer_id = :c", c=customer)
    debits = query(
        database_url,
        "SELECT coalesce(sum(delta), 0) FROM points_entry WHERE customer_id = :c AND kind = 'redeem'",
        c=customer,
    )[0][0]
    return Redeemed(int(confirmed), frozenset(str(r[0]) for r in coupons), -int(debits) - int(cost))


def coupons_shown_in(sandbox: TelegramSandbox, chat: int) -> set[str]:
    return {code for m in sandbox.bot_messages(chat) for code in COUPON.findall(m.text or "")}


def _unanswered_catalogue(sandbox: TelegramSandbox, chat: int, round_no: int) -> Any | None:
    """The round's catalogue (the round_no-th message with Redeem buttons)."""
    catalogues = [
        m for m in sandbox.bot_messages(chat) if any(d.startswith("rw:ask:") for d in inline_buttons(m))
    ]
    return catalogues[round_no - 1] if len(catalogues) >= round_no else None


def _new_confirmation(sandbox: TelegramSandbox, chat: int, known: Mapping[int, int]) -> int | None:
    asks = [
        m.message_id
        for m in sandbox.bot_messages(chat)
        if any(d.startswith("rw:ok:") for d in inline_buttons(m))
    ]
    fresh = [m for m in asks if m != known.get(chat)]
    return fresh[-1] if fresh else None


def _ok_button(sandbox: TelegramSandbox, chat: int, message_id: int) -> str:
    message = next(m for m in sandbox.bot_messages(chat) if m.message_id == message_id)
    return next(d for d in inline_buttons(message) if d.startswith("rw:ok:"))


# --- alert and staff reply: Telegram ↔ Slack through the bot --------------------------------------

COMPLAINT = "My order arrived broken and the cup is cracked. I want a refund! (order {order})"
CONVERSATION = re.compile(r"conversation #(\d+)")


@dataclass
class Team:
    """The shop's Slack workspace (events retried as Slack retries them) and the bot's settings."""

    slack: SlackSandbox
    channel: str
    boss: str
    settings: dict[str, str]

    def alerts(self, name: str) -> list[dict[str, Any]]:
        """Top-level bot posts in the team channel about the customer called `name`."""
        bot_id = self.slack.state.ws.bot_id
        pattern = re.compile(re.escape(name) + r"(?!\d)")
        return [
            m
            for m in self.slack.driver.messages(self.channel)
            if m.get("bot_id") == bot_id
            and m.get("thread_ts") in (None, m.get("ts"))
            and pattern.search(json.dumps(m))
        ]


@asynccontextmanager
async def team(run: Run, server: SandboxServer) -> AsyncIterator[Team]:
    async with SlackSandbox(Workspace(signing_secret=SECRET), event_retries=SLACK_RETRIES) as slack:
        driver = slack.driver
        boss = driver.add_user("boss", real_name="Bea Boss")
        channel = driver.add_channel("retention-team", members=[boss])
        settings = {
            "DATABASE_URL": run.database_url,
            **telegram_settings(server),
            **slack_settings(slack, channel, SECRET),
            "SLACK_THREAD_RELAY": "all",
        }
        yield Team(slack, channel, boss, settings)


def names(database_url: str, customers: list[tuple[int, int]]) -> dict[int, str]:
    ids = ",".join(str(c) for c, _ in customers)
    return {
        int(c): str(n) for c, n in query(database_url, f"SELECT id, name FROM customer WHERE id IN ({ids})")
    }


def tickets_of(database_url: str, customer: int) -> list[int]:
    return [
        int(r[0]) for r in query(database_url, "SELECT id FROM ticket WHERE customer_id = :c", c=customer)
    ]


def told(sandbox: TelegramSandbox, chat: int) -> list[str]:
    """The ticket numbers the customer was given ("This is conversation #N")."""
    return [n for m in sandbox.bot_messages(chat) for n in CONVERSATION.findall(m.text or "")]


ALERTERS = 5


async def alert(run: Run) -> Tally:
    """Customers send complaints in Telegram; the bot is killed while it opens their tickets and
    alerts the team. Each complaint must give one ticket, one Slack alert, and one reply to the
    customer with the ticket's number."""
    tally = Tally("alert")
    started = time.monotonic()
    with telegram_world() as server:
        sandbox = server.sandbox
        async with team(run, server) as shop:
            bot = Bot(run.directory, shop.settings, parts=("telegram", "slack"))
            await bot.start()
            shop.slack.driver.connect_app(f"http://127.0.0.1:{bot.port}/slack/events")
            try:
                for round_no in range(1, run.kills + 1):
                    chats = seed_customers(run.database_url, sandbox, ALERTERS, prefix=f"A{round_no}x")
                    who = names(run.database_url, chats)
                    sent: dict[int, int] = {}
                    for n, (_, chat) in enumerate(chats):
                        sandbox.push_text(chat, COMPLAINT.format(order=f"{round_no}-{n}"))
                        sent[chat] = last_update_id(sandbox)

                    def progress(chats: list[tuple[int, int]] = chats, who: dict[int, str] = who) -> int:
                        return sum(bool(shop.alerts(who[c])) for c, _ in chats)

                    def settled(chats: list[tuple[int, int]] = chats, who: dict[int, str] = who) -> bool:
                        return all(shop.alerts(who[c]) and told(sandbox, chat) for c, chat in chats)

                    hit, where = await bot.kill_point(run.rng, progress, len(chats), jitter=0.5)
                    await bot.start()
                    await until(settled, 30, step=0.2)
                    await asyncio.sleep(1.0)  # a second alert or reply would show by now
                    tally.kill_points += hit
                    lost = doubled = resent = 0
                    unhandled: list[int] = []
                    for customer, chat in chats:
                        tickets = tickets_of(run.database_url, customer)
                        alerts = shop.alerts(who[customer])
                        replies = told(sandbox, chat)
                        lost += int(not (tickets and alerts))  # the complaint, whichever is missing
                        tally.replies_lost += int(bool(tickets) and not replies)
                        resent += max(0, len(replies) - 1)
                        doubled += (
                            max(0, len(tickets) - 1) + max(0, len(alerts) - 1) + max(0, len(replies) - 1)
                        )
                        if not tickets:
                            unhandled.append(sent[chat])
                        elif not alerts:
                            tally.note(f"round {round_no}: ticket #{tickets[0]} opened, but no alert")
                        if tickets and not replies:
                            tally.note(
                                f"round {round_no}: ticket #{tickets[0]}: the customer was never told its "
                                "number"
                            )
                    tally.count_round(
                        f"round {round_no} ({where})",
                        effects=len(chats),
                        lost=lost,
                        doubled=doubled,
                        hit=hit,
                        documented=min(resent, bot.taken_over()),
                    )
                    if unhandled:
                        tally.note(
                            f"round {round_no}: complaints lost: {why_lost(run.database_url, unhandled)}"
                        )
            finally:
                await bot.stop()
    tally.seconds = time.monotonic() - started
    return tally


STAFFED = 4
REPLY = "So sorry, {name}! A new cup goes out today (reply {round_no})."


async def staff_reply(run: Run) -> Tally:
    """Staff answer complaints in their alerts' threads; the bot is killed while it relays the
    replies and restarted (Slack retries the events it did not answer). Each reply must reach its
    customer exactly once, and be on the customer's timeline once."""
    tally = Tally("staff reply")
    started = time.monotonic()
    with telegram_world() as server:
        sandbox = server.sandbox
        async with team(run, server) as shop:
            driver = shop.slack.driver
            bot = Bot(run.directory, shop.settings, parts=("telegram", "slack"))
            await bot.start()
            driver.connect_app(f"http://127.0.0.1:{bot.port}/slack/events")
            try:
                chats = seed_customers(run.database_url, sandbox, STAFFED, prefix="S")
                who = names(run.database_url, chats)
                for n, (_, chat) in enumerate(chats):
                    sandbox.push_text(chat, COMPLAINT.format(order=f"S{n}"))
                for customer, _ in chats:
                    await wait_or_fail(lambda c=customer: shop.alerts(who[c]), 40, "the alert", bot)
                threads = {customer: str(shop.alerts(who[customer])[0]["ts"]) for customer, _ in chats}
                for round_no in range(1, run.kills + 1):
                    texts = {c: REPLY.format(name=who[c], round_no=round_no) for c, _ in chats}

                    def arrived(chat: int, reply: str) -> int:
                        return sum(reply in (m.text or "") for m in sandbox.bot_messages(chat))

                    def progress(texts: dict[int, str] = texts) -> int:
                        return sum(arrived(chat, texts[c]) > 0 for c, chat in chats)

                    posting = asyncio.gather(
                        *(
                            driver.post_user_message(
                                texts[c], user=shop.boss, channel=shop.channel, thread_ts=threads[c]
                            )
                            for c, _ in chats
                        )
                    )
                    hit, where = await bot.kill_point(run.rng, progress, len(chats), jitter=0.5)
                    acks = await posting
                    await bot.start()
                    await until(lambda texts=texts: progress(texts) == len(chats), 40, step=0.2)
                    await driver.settle_event_retries(within=60)
                    await asyncio.sleep(1.0)  # a second copy would show by now
                    tally.kill_points += hit
                    lost = doubled = resent = 0
                    for customer, chat in chats:
                        copies = arrived(chat, texts[customer])
                        logged = query(
                            run.database_url,
                            "SELECT count(*) FROM interaction "
                            "WHERE customer_id = :c AND direction = 'outbound' "
                            "AND text LIKE :t",
                            c=customer,
                            t=f"%{texts[customer]}%",
                        )[0][0]
                        lost += int(copies == 0)
                        resent += max(0, copies - 1)
                        doubled += max(0, copies - 1) + max(0, int(logged) - 1)
                        if copies == 0:
                            status = [a.status if a else None for _, a in acks]
                            tally.note(
                                f"round {round_no}: reply to {who[customer]} lost "
                                f"(first acks {status}, logged {logged})"
                            )
                    tally.count_round(
                        f"round {round_no} ({where})",
                        effects=len(chats),
                        lost=lost,
                        doubled=doubled,
                        hit=hit,
                        documented=min(resent, bot.taken_over()),
                    )
            finally:
                await bot.stop()
    tally.seconds = time.monotonic() - started
    return tally


# --- import: `retention-bot import purchases FILE` killed mid-way, then run again -------------------

IMPORT_ROWS = 1500
IMPORT_CUSTOMERS = 150


def purchases_file(directory: Path, round_no: int) -> Path:
    path = directory / f"purchases-{round_no}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "date", "amount", "order_id"])
        for n in range(IMPORT_ROWS):
            day = datetime(2026, 1 + n % 11, 1 + n % 28, tzinfo=UTC).date().isoformat()
            writer.writerow(
                [f"I{round_no}-{n % IMPORT_CUSTOMERS}", day, f"{10 + n % 90}.50", f"O{round_no}-{n}"]
            )
    return path


async def import_(run: Run) -> Tally:
    """A purchases file is imported with the CLI; the import is killed at a random moment and run
    again until it finishes. Every row must be there once (its purchase and its points), and a
    killed import leaves all of its rows or none (one transaction). Points are awarded
    (`--award-points`), so a row imported twice would also show as points credited twice."""
    tally = Tally("import")
    started = time.monotonic()
    settings = {"DATABASE_URL": run.database_url}
    estimate = 10.0  # seconds an import of the file takes; learnt from each finished run
    round_no = 0
    while tally.kill_points < run.kills and round_no < 3 * run.kills:  # a kill after the end is no kill point
        round_no += 1
        path = purchases_file(run.directory, round_no)
        prefix = f"O{round_no}-%"

        def rows(prefix: str = prefix) -> int:
            return int(
                query(run.database_url, "SELECT count(*) FROM purchase WHERE order_id LIKE :p", p=prefix)[0][
                    0
                ]
            )

        process, _ = await start_cli(
            run.directory, settings, "import", "purchases", str(path), "--award-points"
        )
        delay = run.rng.uniform(0.3, 1.0) * estimate  # the first ~third is the CLI starting up
        await asyncio.sleep(delay)
        hit = await kill_9(process)
        partial = rows()
        if partial not in (0, IMPORT_ROWS):
            tally.note(
                f"round {round_no}: the killed import left {partial} of {IMPORT_ROWS} rows (not all or none)"
            )
        began = time.monotonic()
        await run_logged(run.directory, settings, "import", "purchases", str(path), "--award-points")
        estimate = time.monotonic() - began
        tally.kill_points += hit
        if not hit:
            tally.note(f"round {round_no}: the import finished before the kill ({delay:.1f} s)")
        per_order = query(
            run.database_url,
            "SELECT p.order_id, count(DISTINCT p.id), count(e.id) FROM purchase p "
            "LEFT JOIN points_entry e ON e.purchase_id = p.id "
            "WHERE p.order_id LIKE :p GROUP BY p.order_id",
            p=prefix,
        )
        lost = IMPORT_ROWS - len(per_order) + sum(1 for _, _, points in per_order if points == 0)
        doubled = sum(max(0, n - 1) + max(0, points - 1) for _, n, points in per_order)
        tally.count_round(
            f"round {round_no} (kill at {delay:.1f} s)",
            effects=IMPORT_ROWS,
            lost=lost,
            doubled=doubled,
            hit=hit,
        )
    tally.seconds = time.monotonic() - started
    return tally


SCENARIOS: dict[str, Callable[[Run], Awaitable[Tally]]] = {
    "campaign": campaign,
    "redemption": redemption,
    "import": import_,
    "alert": alert,
    "staff reply": staff_reply,
}
