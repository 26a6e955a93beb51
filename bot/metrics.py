"""What `GET /metrics` serves (SPEC §11), in a Prometheus registry of the process's own.

Counters are per process and count what this process did: updates handled, messages the platforms
accepted, the platforms' refusals and failures, job runs. Gauges that describe the database (the
outbox depth, the conversations waiting for staff) are read from it at scrape time, so every
instance sharing one database reports the same numbers.

The adapters count at their single choke points: the Telegram transport and update processor, the
Slack Web API client's retry-handler hook and a Bolt middleware, and the scheduler's run loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

PLATFORMS: Final = ("telegram", "slack")
RATE_LIMITED: Final = "rate_limited"
NETWORK: Final = "network"

OUTBOX_HELP: Final = (
    "Messages the bot has committed to send and not sent yet: undelivered outbox rows (one per "
    "event and platform), survey dispatches queued or being sent, and win-back offers queued."
)
WAITING_HELP: Final = (
    "Open conversations (tickets) whose customer wrote last: no staff reply to the customer, "
    "and no 'contacted', since the customer's latest message (or since the ticket opened)."
)


@dataclass(frozen=True)
class Backlog:
    """The database's side of the metrics, read once per scrape."""

    outbox_depth: int
    conversations_waiting: int


class Metrics:
    """The process's counters and the registry `/metrics` renders (one per AppContext, no globals)."""

    def __init__(self, backlog: Callable[[], Backlog] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "retention_updates_handled",
            "Inbound updates handled: Telegram updates, Slack requests (events, commands, actions, views).",
            ["platform"],
            registry=self.registry,
        )
        self.messages = Counter(
            "retention_messages_sent",
            "Messages the platform accepted: Telegram send* calls; Slack chat.postMessage, "
            "chat.postEphemeral, chat.update and file uploads.",
            ["platform"],
            registry=self.registry,
        )
        self.errors = Counter(
            "retention_platform_errors",
            "Platform API calls refused or failed, each attempt once, by kind: rate_limited (HTTP 429, "
            "also when retried), blocked, forbidden, bad_request, network, server_error, …, "
            "or Slack's error code.",
            ["platform", "kind"],
            registry=self.registry,
        )
        self.job_runs = Counter(
            "retention_job_runs",
            "Scheduled job runs finished in this process, by job and outcome: done, failed (tried "
            "again later) or gave_up.",
            ["job", "outcome"],
            registry=self.registry,
        )
        self._platforms = {name: PlatformMetrics(self, name) for name in PLATFORMS}
        if backlog is not None:
            self.registry.register(BacklogCollector(backlog))

    def platform(self, name: str) -> PlatformMetrics:
        """The counters of one platform (telegram, slack), as its adapter uses them."""
        return self._platforms[name]

    def job_finished(self, job: str, outcome: str) -> None:
        self.job_runs.labels(job, outcome).inc()


class PlatformMetrics:
    """One platform's counters with their label children looked up once (the transport is hot).
    Updates, messages and 429s exist at 0 from the start, so the first one shows as a rise."""

    def __init__(self, metrics: Metrics, platform: str) -> None:
        self.name = platform
        self._errors_family = metrics.errors
        self._updates = metrics.updates.labels(platform)
        self._messages = metrics.messages.labels(platform)
        self._errors: dict[str, Counter] = {RATE_LIMITED: metrics.errors.labels(platform, RATE_LIMITED)}

    def update_handled(self) -> None:
        self._updates.inc()

    def message_sent(self) -> None:
        self._messages.inc()

    def error(self, kind: str) -> None:
        child = self._errors.get(kind)
        if child is None:
            child = self._errors[kind] = self._errors_family.labels(self.name, kind)
        child.inc()


class BacklogCollector(Collector):
    """Gauges read from the database when scraped; a database that cannot be read is reported
    as `retention_database_up 0`, and the scrape still answers."""

    def __init__(self, read: Callable[[], Backlog]) -> None:
        self._read = read

    def describe(self) -> Iterable[Metric]:
        """The names, without reading the database (the registry asks when the collector is added)."""
        return [*self._families(), _up(None)]

    def collect(self) -> Iterable[Metric]:
        try:
            backlog = self._read()
        except Exception as exc:  # a scrape must answer whatever the database does
            log.warning("metrics: cannot read the database: %s", exc)
            return [_up(0)]
        return [*self._families(backlog), _up(1)]

    @staticmethod
    def _families(backlog: Backlog | None = None) -> list[Metric]:
        outbox = GaugeMetricFamily("retention_outbox_depth", OUTBOX_HELP)
        waiting = GaugeMetricFamily("retention_conversations_waiting", WAITING_HELP)
        if backlog is not None:
            outbox.add_metric([], backlog.outbox_depth)
            waiting.add_metric([], backlog.conversations_waiting)
        return [outbox, waiting]


def _up(value: int | None) -> Metric:
    up = GaugeMetricFamily("retention_database_up", "1 if this scrape could read the database, else 0.")
    if value is not None:
        up.add_metric([], value)
    return up
