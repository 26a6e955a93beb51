"""Domain events for cross-platform reactions (a Telegram detractor → a Slack alert), and the bus
that knows their subscribers.

Services record events on their unit of work; the unit of work writes them to the outbox table in
its transaction (storage/outbox.py), and the outbox sender of each adapter delivers them from
there (bot/outbox.py), so subscribers always see the data the event talks about, and a crash or a
failing platform loses none. Events are plain frozen dataclasses: a new one needs no registration.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

E = TypeVar("E")
Subscriber = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class DetractorAnswered:
    customer_id: int
    response_id: int
    score: int
    comment: str | None


@dataclass(frozen=True)
class SurveyCommented:
    customer_id: int
    response_id: int
    score: int
    comment: str


@dataclass(frozen=True)
class FeedbackReceived:
    customer_id: int
    interaction_id: int
    text: str
    negative: bool
    ticket_id: int | None


@dataclass(frozen=True)
class TicketOpened:
    customer_id: int
    ticket_id: int


@dataclass(frozen=True)
class CustomerMessaged:
    """A customer wrote while a ticket is open: the text goes into the ticket's Slack thread."""

    customer_id: int
    ticket_id: int
    text: str


@dataclass(frozen=True)
class RelayPaused:
    """A customer sent more than 30 messages in 10 minutes: their thread says relaying is paused."""

    customer_id: int
    ticket_id: int


@dataclass(frozen=True)
class RelayResumed:
    """Staff answered a customer whose relay was paused: the alert no longer says it is paused."""

    customer_id: int
    ticket_id: int


@dataclass(frozen=True)
class ConversationsLinked:
    """An unknown contact's chat was linked to a customer (or one customer merged into another): the
    conversations in `moved` now belong to `customer_id`; each pair in `folded` is a conversation
    closed because the customer had one open already (closed, continued in)."""

    customer_id: int
    moved: tuple[int, ...]
    folded: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ConversationOverdue:
    """A conversation passed its first-response target without a reply (flagged once): the alert
    shows it and its thread mentions the assignee."""

    customer_id: int
    ticket_id: int
    kind: str
    target_hours: float


@dataclass(frozen=True)
class ConversationAnswered:
    """An overdue conversation got staff's first reply: its alert no longer shows it waiting."""

    customer_id: int
    ticket_id: int


@dataclass(frozen=True)
class TicketResolved:
    customer_id: int
    ticket_id: int


@dataclass(frozen=True)
class StaffReplied:
    """Staff chose to send `text` to the customer (Reply to customer, or relay mode `all`)."""

    customer_id: int
    ticket_id: int | None
    interaction_id: int
    text: str
    staff_name: str


@dataclass(frozen=True)
class CustomerErased:
    """A customer was forgotten. A wake-up only: the Slack messages to edit are rows (slack_erasure)
    written in the erasure's transaction, which the Slack part works through (after a restart too)."""

    customer_id: int
    slack_messages: int


@dataclass(frozen=True)
class PointsAdjusted:
    """An admin changed the customer's points and the customer should be told (not --quiet)."""

    customer_id: int
    delta: int
    note: str


@dataclass(frozen=True)
class SurveyCampaignStarted:
    """A survey campaign's dispatches are queued; the Telegram side sends them (at once unless trickle)."""

    campaign_id: int
    trickle: bool


@dataclass(frozen=True)
class SurveyReminderDue:
    """An unanswered survey was claimed for its one reminder; the Telegram side delivers it."""

    customer_id: int
    dispatch_id: int


@dataclass(frozen=True)
class LocalText:
    """A value shown in the reader's language (a win-back variant's text): `texts` by language code."""

    default: str
    texts: tuple[tuple[str, str], ...] = ()

    def for_language(self, language: str) -> str:
        return dict(self.texts).get(language) or self.default


@dataclass(frozen=True)
class Code:
    """A value shown as code (a coupon code: monospace, one tap copies it in Telegram)."""

    text: str


@dataclass(frozen=True)
class NoticeLine:
    """One catalogue message of a notice; `n` picks the plural form. Values: ints are formatted as
    numbers, dates as dates, LocalText in the customer's language, Code as code (`business` is always
    filled)."""

    msgid: str
    values: tuple[tuple[str, object], ...] = ()
    n: int | None = None


@dataclass(frozen=True)
class CustomerNotice:
    """A scheduled automation asks the Telegram side to tell a customer something (birthday, expiry,
    win-back), at most once per `key`, under the contact rules of bot-initiated messages.

    `promotional`: a /stop opt-out suppresses it (greetings, offers); service notices (points about
    to expire) still go out. `winback_offer_id`: the offer to mark sent or failed after the attempt.
    `receipt`: the answer to something the customer just did (the points of a purchase at the
    till): it goes out at once, whatever the send window, the daily cap or the 24-hour rule say,
    and does not count as bot-initiated.
    """

    customer_id: int
    key: str
    kind: str
    lines: tuple[NoticeLine, ...]
    promotional: bool = True
    winback_offer_id: int | None = None
    receipt: bool = False


@dataclass(frozen=True)
class JobGaveUp:
    """A scheduled job failed its last try for a period: staff are told once, with the fix."""

    job_name: str
    period: str
    attempts: int
    reason: str
    fix: str | None = None


@dataclass(frozen=True)
class DigestDue:
    """The scheduled digest of local `day` is due (its run claimed, try `attempt`): the Slack part
    builds it, posts it (or updates the day's message) and records the outcome in the day's run,
    which the job reads. It names no customer: the digest is built when it is delivered."""

    day: date
    attempt: int
    job_name: str = "digest"
    """Orders the rows: one day's tries, and the job's give-up report, one after another."""


class EventBus:
    """Who reacts to which event, per destination (the adapter a subscriber belongs to), and the
    wake-up of the outbox senders.

    Events do not travel through here: a unit of work writes them to the outbox table in its
    transaction, and a sender (bot/outbox.py) reads them back and calls the destination's
    subscribers. A subscriber that raises has failed: the sender tries again later.
    """

    def __init__(self) -> None:
        self._subscribers: dict[tuple[type, str], list[Subscription]] = defaultdict(list)
        self._wake: list[Callable[[Collection[str]], None]] = []

    def subscribe(
        self,
        event_type: type[E],
        handler: Callable[[E], Awaitable[None]],
        *,
        destination: str | None = None,
    ) -> None:
        """`handler` delivers `event_type` for `destination` (by default the adapter package the
        handler lives in: handlers.telegram → telegram, handlers.slack → slack)."""
        where = destination or destination_of(handler)
        subscribers = self._subscribers[(event_type, where)]
        name = _name(handler)
        taken = {s.name for s in subscribers}
        unique, n = name, 1
        while unique in taken:  # two subscribers of one name: a retry must tell them apart
            n += 1
            unique = f"{name}#{n}"
        subscribers.append(Subscription(unique, handler))

    def unsubscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        """Remove a subscription (a stopped component must not react to later events)."""
        for (kind, _), subscribers in self._subscribers.items():
            if kind is event_type:
                subscribers[:] = [s for s in subscribers if s.handler != handler]

    def subscribers(self, event_type: type, destination: str) -> list[Subscription]:
        return list(self._subscribers.get((event_type, destination), ()))

    def has_subscribers(self, event_type: type, destination: str) -> bool:
        """Whether `destination`'s part in this process reacts to `event_type` (e.g. a Slack side
        that posts alerts)."""
        return bool(self._subscribers.get((event_type, destination)))

    def subscribed_types(self, destination: str) -> set[type]:
        return {kind for (kind, where), found in self._subscribers.items() if where == destination and found}

    def on_wake(self, callback: Callable[[Collection[str]], None]) -> None:
        """Call `callback(destinations)` whenever a unit of work committed outbox rows for those
        destinations (from the committing thread)."""
        self._wake.append(callback)

    def off_wake(self, callback: Callable[[Collection[str]], None]) -> None:
        with contextlib.suppress(ValueError):
            self._wake.remove(callback)

    def wake(self, destinations: Collection[str]) -> None:
        """Rows were committed to the outbox: their senders look at once rather than at their next poll."""
        for callback in list(self._wake):
            callback(destinations)


@dataclass(frozen=True)
class Subscription:
    name: str
    """Stable across restarts: the outbox remembers which subscribers already handled a row."""
    handler: Subscriber


def destination_of(handler: Callable[..., object]) -> str:
    module = getattr(handler, "__module__", "") or ""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "handlers":
        return parts[1]
    raise ValueError(
        f"cannot tell which adapter {_name(handler)} delivers for: pass destination= to subscribe"
    )


def _name(handler: Callable[..., object]) -> str:
    module = getattr(handler, "__module__", "?")
    return f"{module}.{getattr(handler, '__qualname__', repr(handler))}"
