"""The transactional outbox (SPEC §7): an event is committed with the data it talks about, and
delivered from the table to the adapters' subscribers: in order per customer, retried with growing
delays, delayed (never dropped) by a platform's rate limit, given up after a bounded time where
`retention-bot jobs` shows it, and delivered once by two senders on one database.

The subscribers here are real ones that record what they get (and raise the platforms' own errors
when told to); the sender runs on a clock of its own that the tests move."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlmodel import col, select, update
from telegram.error import NetworkError, RetryAfter

from bot import events
from bot.clock import ManualClock
from bot.context import AppContext
from bot.jobs.automations import forget_replays_job
from bot.outbox import Delivery, OutboxSender, RetryPolicy, current_delivery
from bot.services import outbox as rows
from bot.services.backlog import read_backlog
from bot.services.customers import create_customer
from bot.services.outbox import Claim, record_events
from storage.models import Customer, OutboxMessage
from storage.outbox import UnknownEvent, decode_event, encode_event, type_name
from storage.uow import UnitOfWork
from tests.conftest import make_context
from tests.support.bot_process import run_cli

TOKENS = {"telegram_bot_token": "123456:TEST", "slack_bot_token": "xoxb-test"}
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SUBSCRIBED = {"telegram": {type_name(events.TicketOpened)}}


@pytest.fixture
def octx(database_url: str, clock: ManualClock) -> Iterator[AppContext]:
    """A setup with both adapters: every event gets a Telegram row and a Slack row."""
    context = make_context(database_url, clock, **TOKENS)
    yield context
    context.close()


class Recorder:
    """A subscriber that keeps what it got, and raises the errors it is told to first."""

    def __init__(self, name: str = "recorder") -> None:
        self.got: list[object] = []
        self.deliveries: list[Delivery | None] = []
        self.errors: list[Exception] = []
        self.__qualname__ = name

    async def __call__(self, event: object) -> None:
        if self.errors:
            raise self.errors.pop(0)
        await asyncio.sleep(0)  # let other deliveries interleave
        self.got.append(event)
        self.deliveries.append(current_delivery())


@asynccontextmanager
async def sending(
    ctx: AppContext, clock: ManualClock | None = None, **options: object
) -> AsyncIterator[OutboxSender]:
    """The context's sender, on its own clock, delivering the Telegram rows while the block runs."""
    sender = OutboxSender(ctx, clock=clock or ManualClock(START), poll=0.2, **options)  # type: ignore[arg-type]
    ctx.outbox = sender  # type: ignore[misc]
    await sender.attach("telegram")
    try:
        yield sender
    finally:
        await sender.detach("telegram")


def outbox_rows(ctx: AppContext, destination: str = "telegram") -> list[OutboxMessage]:
    with ctx.uow() as uow:
        return list(
            uow.session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.destination == destination)
                .order_by(col(OutboxMessage.id))
            ).all()
        )


def opened(customer_id: int, ticket_id: int) -> events.TicketOpened:
    return events.TicketOpened(customer_id=customer_id, ticket_id=ticket_id)


def slack_429(retry_after: str) -> SlackApiError:
    """What slack_sdk raises when Slack still answers 429 after the client's own retries."""
    response = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": "ratelimited"},
        headers={"Retry-After": retry_after},
        status_code=429,
    )
    return SlackApiError("The request to the Slack API failed.", response)


# --- what a row holds ---------------------------------------------------------------------------


def test_every_kind_of_event_comes_back_from_its_row_as_it_was_committed() -> None:
    notice = events.CustomerNotice(
        customer_id=7,
        key="expiry:7:2026-12-31",
        kind="expiry_notice",
        lines=(
            events.NoticeLine("expiry.notice", (("points", 120), ("date", date(2026, 12, 31))), n=120),
            events.NoticeLine(
                "winback.offer",
                (("offer", events.LocalText("10% off", (("zh-Hans", "九折"), ("zh-Hant", "九折")))),),
            ),
        ),
        promotional=False,
        winback_offer_id=None,
    )
    samples = [
        events.DetractorAnswered(1, 2, 3, None),
        events.SurveyCommented(1, 2, 3, "late"),
        events.FeedbackReceived(1, 5, "The cup is cracked 😡 <b>", True, 9),
        events.TicketOpened(1, 9),
        events.CustomerMessaged(1, 9, "Hello?\nAnyone?"),
        events.TicketResolved(1, 9),
        events.StaffReplied(1, None, 12, "Sorry & thanks", "Sam"),
        events.PointsAdjusted(1, -20, ""),
        events.SurveyCampaignStarted(4, True),
        events.SurveyReminderDue(1, 8),
        events.JobGaveUp("digest", "2026-12-01", 6, "not_in_channel", "invite the app"),
        notice,
    ]
    for event in samples:
        name, payload = encode_event(event)
        assert name == type_name(type(event))
        back = decode_event(name, payload)
        assert back == event and type(back) is type(event)
    date_value = decode_event(*encode_event(notice)).lines[0].values[1][1]  # type: ignore[attr-defined]
    assert isinstance(date_value, date)  # a date under an `object` annotation stays a date
    with pytest.raises(UnknownEvent):
        decode_event("bot.events:NoSuchEvent", "{}")
    with pytest.raises(UnknownEvent):
        decode_event("os:system", "{}")  # only the project's own event classes are looked up


def failing_service(uow: UnitOfWork, customer: str) -> None:
    with uow:
        create_customer(uow, _clock(), external_id=customer)
        uow.emit(opened(1, 1))
        raise RuntimeError("the service failed after recording its event")


def unstorable(uow: UnitOfWork) -> None:
    with uow:
        create_customer(uow, _clock(), external_id="S1")
        uow.emit(events.CustomerMessaged(customer_id=1, ticket_id=1, text={"a", "set"}))  # type: ignore[arg-type]


def _clock() -> ManualClock:
    return ManualClock(START)


def customers(ctx: AppContext) -> list[str]:
    with ctx.uow() as uow:
        return [c.external_id for c in uow.session.exec(select(Customer)).all()]


async def test_an_event_is_in_the_outbox_exactly_when_its_transaction_committed(octx: AppContext) -> None:
    with pytest.raises(RuntimeError):
        await octx.call(failing_service, "R1")
    with pytest.raises(TypeError):  # a value the outbox cannot keep fails the service, loudly
        await octx.call(unstorable)
    assert outbox_rows(octx) == [] and customers(octx) == []  # nothing of either committed

    await octx.call(record_events, [opened(3, 1), events.JobGaveUp("digest", "d", 6, "x")])
    both = [(r.destination, r.event_type.rpartition(":")[2], r.aggregate, r.state) for r in outbox_rows(octx)]
    assert both == [
        ("telegram", "TicketOpened", "customer:3", "pending"),
        ("telegram", "JobGaveUp", "job_name:digest", "pending"),
    ]
    assert len(outbox_rows(octx, "slack")) == 2  # one row per adapter: each delivers its part
    assert read_backlog(octx.uow()).outbox_depth == 4  # /metrics' outbox depth


# --- delivering ---------------------------------------------------------------------------------


async def test_one_customers_events_arrive_in_commit_order_while_other_customers_go_on(
    octx: AppContext,
) -> None:
    recorder = Recorder()
    recorder.errors = [NetworkError("Bad Gateway")]  # the first delivery (Ann's) fails once
    octx.bus.subscribe(events.TicketOpened, recorder, destination="telegram")
    clock = ManualClock(START)
    async with sending(octx, clock) as sender:
        await octx.call(record_events, [opened(1, 10)])  # Ann
        await sender.drain()
        await octx.call(record_events, [opened(1, 11), opened(2, 20)])  # Ann again, then Bo
        await sender.drain()
        assert recorder.got == [opened(2, 20)]  # Bo's went; Ann's second waits behind her first

        clock.advance(timedelta(seconds=1))  # the retry's delay
        await sender.drain()
    assert recorder.got == [opened(2, 20), opened(1, 10), opened(1, 11)]
    assert {r.state for r in outbox_rows(octx)} == {"delivered"}


async def test_a_failing_delivery_is_tried_again_after_growing_delays_then_given_up_and_jobs_shows_it(
    octx: AppContext, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    recorder.errors = [NetworkError("Internal Server Error")] * 10
    octx.bus.subscribe(events.StaffReplied, recorder, destination="telegram")
    clock = ManualClock(START)
    reply = events.StaffReplied(customer_id=4, ticket_id=None, interaction_id=1, text="Hi", staff_name="Sam")
    tries: list[datetime] = []
    policy = RetryPolicy(give_up_after=timedelta(seconds=10))
    async with sending(octx, clock, policy=policy) as sender:
        await octx.call(record_events, [reply])
        for _ in range(6):
            await sender.drain()
            [row] = outbox_rows(octx)
            if row.state != "pending":
                break
            assert row.next_attempt_at is not None
            tries.append(row.next_attempt_at.astimezone(UTC))
            clock.set(row.next_attempt_at)
    waits = [(later - START).total_seconds() for later in tries]
    assert waits == [1, 3, 7, 15]  # after 1, 2, 4 and 8 seconds
    assert (row.state, row.failures, recorder.got) == ("gave_up", 5, [])
    assert "gave up delivering StaffReplied to telegram" in caplog.text
    assert "Internal Server Error" in row.last_error

    if octx.engine.dialect.name != "sqlite":
        return  # what `jobs` prints is the same on both; its process takes seconds to start
    shown = await run_cli(tmp_path, {"DATABASE_URL": octx.settings.database_url}, "jobs")
    assert "Outbox: given up" in shown and "StaffReplied" in shown and "customer:4" in shown, shown
    assert "Outbox: waiting" in shown  # the Slack rows nobody delivers here


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter's own
async def test_a_rate_limit_delays_a_delivery_by_its_retry_after_and_never_gives_it_up(
    octx: AppContext,
) -> None:
    recorder = Recorder()
    limits: list[Exception] = [RetryAfter(timedelta(seconds=30)), slack_429("7")] * 3
    recorder.errors = list(limits)
    octx.bus.subscribe(events.CustomerMessaged, recorder, destination="telegram")
    clock = ManualClock(START)
    message = events.CustomerMessaged(customer_id=5, ticket_id=3, text="Still waiting")
    waits: list[float] = []
    policy = RetryPolicy(give_up_after=timedelta(seconds=10))  # far shorter than the limits' waits
    async with sending(octx, clock, policy=policy) as sender:
        await octx.call(record_events, [message])
        while True:
            await sender.drain()
            [row] = outbox_rows(octx)
            if row.state != "pending":
                break
            assert row.failures == 0 and row.next_attempt_at is not None  # a wait, not a failure
            waits.append((row.next_attempt_at.astimezone(UTC) - clock.now()).total_seconds())
            clock.set(row.next_attempt_at)
    assert waits == [30, 7] * 3
    assert (row.state, recorder.got) == ("delivered", [message])


async def test_a_retry_calls_only_the_subscribers_that_have_not_handled_the_event_yet(
    octx: AppContext,
) -> None:
    first, second = Recorder("first"), Recorder("second")
    second.errors = [NetworkError("Bad Gateway")]
    octx.bus.subscribe(events.TicketResolved, first, destination="telegram")
    octx.bus.subscribe(events.TicketResolved, second, destination="telegram")
    clock = ManualClock(START)
    resolved = events.TicketResolved(customer_id=6, ticket_id=2)
    async with sending(octx, clock) as sender:
        await octx.call(record_events, [resolved])
        await sender.drain()
        clock.advance(timedelta(seconds=1))
        await sender.drain()
    assert first.got == [resolved] and second.got == [resolved]


async def test_rows_an_adapter_does_not_react_to_are_not_kept_for_it_unless_a_newer_version_wrote_them(
    octx: AppContext,
) -> None:
    recorder = Recorder()
    octx.bus.subscribe(events.TicketOpened, recorder, destination="telegram")
    await octx.call(record_events, [events.PointsAdjusted(customer_id=9, delta=5, note="")])  # before
    with octx.uow() as uow:  # a row a newer version of the bot wrote (a CLI already upgraded)
        uow.session.add(
            OutboxMessage(destination="telegram", event_type="bot.events:FromTheFuture", payload="{}")
        )
    async with sending(octx) as sender:
        await sender.drain()
        await octx.call(record_events, [events.PointsAdjusted(customer_id=9, delta=6, note="")])  # during
        await sender.drain()
    left = [(r.event_type.rpartition(":")[2], r.state) for r in outbox_rows(octx)]
    assert left == [("FromTheFuture", "pending")]  # the unknown one waits for a bot that knows it
    assert len(outbox_rows(octx, "slack")) == 2  # Slack's rows are Slack's business


# --- claims, leases, several senders ------------------------------------------------------------


async def test_a_row_held_by_a_sender_on_another_host_is_taken_over_after_its_lease_and_flagged(
    octx: AppContext,
) -> None:
    recorder = Recorder()
    octx.bus.subscribe(events.TicketOpened, recorder, destination="telegram")
    await octx.call(record_events, [opened(7, 1)])
    clock = ManualClock(START)
    held = rows.sync(  # a sender elsewhere claimed it, then its machine went away
        octx.uow(),
        "elsewhere:4242:dead",
        START,
        [],
        Claim(
            "elsewhere:4242:dead",
            START,
            timedelta(seconds=60),
            {"telegram": {type_name(events.TicketOpened)}},
            10,
        ),
    )
    assert len(held.rows) == 1
    async with sending(octx, clock) as sender:
        await sender.drain()
        assert recorder.got == []  # its lease still holds
        clock.advance(timedelta(seconds=61))
        await sender.drain()
    assert recorder.got == [opened(7, 1)]
    [delivery] = recorder.deliveries
    assert delivery is not None and delivery.taken_over  # it may have gone out already


async def test_a_restarted_bot_takes_over_the_claims_of_its_dead_predecessor_at_once(
    octx: AppContext,
) -> None:
    recorder = Recorder()
    octx.bus.subscribe(events.TicketOpened, recorder, destination="telegram")
    await octx.call(record_events, [opened(8, 1)])
    dead = await asyncio.create_subprocess_exec("true")  # a process that is gone: its pid is free
    await dead.wait()
    owner = f"{socket.gethostname()[:80]}:{dead.pid}:old"
    rows.sync(octx.uow(), owner, START, [], Claim(owner, START, timedelta(minutes=5), SUBSCRIBED, 10))
    async with sending(octx, ManualClock(START)) as sender:
        await sender.drain()
    assert recorder.got == [opened(8, 1)]


@pytest.mark.postgres
async def test_two_senders_on_one_postgres_deliver_every_row_once_and_each_customers_in_order(
    postgres_url: str, clock: ManualClock
) -> None:
    first, second = make_context(postgres_url, clock, **TOKENS), make_context(postgres_url, clock, **TOKENS)
    delivered: list[tuple[str, events.CustomerMessaged]] = []

    def keeper(name: str) -> Callable[[object], Awaitable[None]]:
        async def keep(event: object) -> None:
            await asyncio.sleep(0.001)  # deliveries of the two senders interleave
            assert isinstance(event, events.CustomerMessaged)
            delivered.append((name, event))

        return keep

    first.bus.subscribe(events.CustomerMessaged, keeper("first"), destination="telegram")
    second.bus.subscribe(events.CustomerMessaged, keeper("second"), destination="telegram")
    sent = [
        events.CustomerMessaged(customer_id=c, ticket_id=c, text=str(n))
        for n in range(10)
        for c in range(1, 21)
    ]
    try:
        sender_clock = ManualClock(START)
        async with sending(first, sender_clock, batch=15) as a, sending(second, sender_clock, batch=15) as b:
            for start in range(0, len(sent), 20):  # committed in 10 transactions, while both deliver
                await first.call(record_events, sent[start : start + 20])
            for _ in range(50):
                await asyncio.gather(a.drain(), b.drain())
                if len(delivered) >= len(sent):
                    break
        assert sorted((e.customer_id, int(e.text)) for _, e in delivered) == sorted(
            (e.customer_id, int(e.text)) for e in sent
        )  # each once
        for customer in range(1, 21):
            texts = [int(e.text) for _, e in delivered if e.customer_id == customer]
            assert texts == sorted(texts), (customer, texts)  # in commit order
        assert {name for name, _ in delivered} == {"first", "second"}  # both took part
    finally:
        first.close()
        second.close()


# --- upkeep -------------------------------------------------------------------------------------


async def test_delivered_rows_are_pruned_by_the_daily_upkeep_after_a_week_given_up_after_a_month(
    octx: AppContext,
) -> None:
    await octx.call(record_events, [opened(1, 1), opened(2, 2), opened(3, 3)])
    clock = ManualClock(START)
    octx.outbox = OutboxSender(octx, clock=clock)  # type: ignore[misc]
    with octx.uow() as uow:
        ids = [r.id for r in outbox_rows(octx)]
        uow.session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == ids[0])
            .values(state="delivered", settled_at=START - timedelta(days=8))
        )
        uow.session.exec(  # type: ignore[call-overload]
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == ids[1])
            .values(state="gave_up", settled_at=START - timedelta(days=8))
        )
    outcome = await forget_replays_job(octx, "2026-12-01")
    assert outcome.endswith("pruned: 1")
    assert [r.id for r in outbox_rows(octx)] == ids[
        1:
    ]  # the given-up one stays for `jobs`, the pending one too


def test_retry_delays_double_from_a_second_up_to_five_minutes() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n) for n in (1, 2, 3, 4, 9, 10, 20)] == [1, 2, 4, 8, 256, 300, 300]
    assert Decimal(policy.give_up_after.total_seconds()) == 24 * 3600
