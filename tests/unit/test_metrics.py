"""The registry /metrics renders: our series with help texts, and a scrape that answers whatever the
database does."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Backlog, Metrics


def families(metrics: Metrics) -> dict[str, tuple[str, list[tuple[dict[str, str], float]]]]:
    text = generate_latest(metrics.registry).decode()
    return {
        f.name: (f.documentation, [(s.labels, s.value) for s in f.samples])
        for f in text_string_to_metric_families(text)
        if not f.name.endswith("_created")  # prometheus_client's creation times of the counters
    }


def test_every_series_is_ours_has_help_and_the_platform_counters_start_at_zero() -> None:
    shown = families(Metrics(backlog=lambda: Backlog(outbox_depth=3, conversations_waiting=2)))
    assert set(shown) == {
        "retention_updates_handled",
        "retention_messages_sent",
        "retention_platform_errors",
        "retention_job_runs",
        "retention_outbox_depth",
        "retention_conversations_waiting",
        "retention_database_up",
    }
    assert all(help_text for help_text, _ in shown.values())
    assert shown["retention_updates_handled"][1] == [
        ({"platform": "telegram"}, 0),
        ({"platform": "slack"}, 0),
    ]
    assert shown["retention_outbox_depth"][1] == [({}, 3)]
    assert shown["retention_conversations_waiting"][1] == [({}, 2)]
    assert shown["retention_database_up"][1] == [({}, 1)]


def test_a_database_that_cannot_be_read_is_database_up_0_and_the_counters_still_show() -> None:
    def unreachable() -> Backlog:
        raise ConnectionError("connection refused")

    metrics = Metrics(backlog=unreachable)
    metrics.platform("slack").error("not_in_channel")
    metrics.job_finished("digest", "gave_up")
    shown = families(metrics)
    assert shown["retention_database_up"][1] == [({}, 0)]
    assert "retention_outbox_depth" not in shown
    assert ({"platform": "slack", "kind": "not_in_channel"}, 1) in shown["retention_platform_errors"][1]
    assert shown["retention_job_runs"][1] == [({"job": "digest", "outcome": "gave_up"}, 1)]
