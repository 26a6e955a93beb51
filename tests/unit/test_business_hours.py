"""The first-response clock counts only opening hours (default Mon–Sat 09:00–18:00, SPEC §8)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config.rules import BusinessHoursRules, BusinessRules, ResponseTargets, RulesFileError, load_rules
from bot.services.business_hours import business_deadline, business_time_between

TAIPEI = ZoneInfo("Asia/Taipei")
SHOP = BusinessHoursRules()  # Mon–Sat 09:00–18:00


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026: the 5th is a Saturday, the 6th a Sunday, the 7th a Monday."""
    return datetime(2026, 12, day, hour, minute, tzinfo=TAIPEI)


def test_a_complaint_on_saturday_evening_is_due_on_monday_midday() -> None:
    due = business_deadline(at(5, 17, 30), timedelta(hours=4), SHOP, TAIPEI)
    assert due == at(7, 12, 30)


def test_a_message_at_night_starts_the_clock_when_the_shop_opens() -> None:
    assert business_deadline(at(3, 23, 0), timedelta(hours=8), SHOP, TAIPEI) == at(4, 17, 0)
    assert business_deadline(at(4, 6, 0), timedelta(hours=1), SHOP, TAIPEI) == at(4, 10, 0)


def test_time_waited_counts_only_opening_hours() -> None:
    assert business_time_between(at(5, 17, 0), at(7, 10, 0), SHOP, TAIPEI) == timedelta(hours=2)
    assert business_time_between(at(6, 10, 0), at(6, 17, 0), SHOP, TAIPEI) == timedelta(0)  # Sunday
    assert business_time_between(at(7, 10, 0), at(7, 9, 0), SHOP, TAIPEI) == timedelta(0)


def test_a_seven_day_shop_open_late() -> None:
    late = BusinessHoursRules(
        days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), opens=time(11), closes=time(22)
    )
    assert business_deadline(at(6, 21, 0), timedelta(hours=4), late, TAIPEI) == at(7, 14, 0)


def test_a_shop_open_around_the_clock_closes_at_24_00_and_counts_every_minute(tmp_path: Path) -> None:
    path = tmp_path / "retention.toml"
    days = '["mon", "tue", "wed", "thu", "fri", "sat", "sun"]'
    path.write_text(f'[business_hours]\ndays = {days}\nopens = "00:00"\ncloses = "24:00"\n')
    always = load_rules(path).business_hours
    assert business_deadline(at(5, 22, 0), timedelta(hours=4), always, TAIPEI) == at(6, 2, 0)
    assert business_time_between(at(5, 20, 0), at(7, 8, 0), always, TAIPEI) == timedelta(hours=36)
    assert business_deadline(at(6, 23, 59), timedelta(seconds=3.6), always, TAIPEI) == at(
        6, 23, 59
    ) + timedelta(seconds=3.6)


def test_the_deadline_is_the_same_moment_in_any_zone_it_is_asked_in() -> None:
    start = at(5, 17, 30).astimezone(ZoneInfo("UTC"))
    assert business_deadline(start, timedelta(hours=4), SHOP, TAIPEI) == at(7, 12, 30)


def test_targets_default_to_the_spec_and_unknown_kinds_count_as_questions() -> None:
    targets = BusinessRules().response_targets
    assert targets.for_kind("complaint") == timedelta(hours=4)
    assert targets.for_kind("request") == timedelta(hours=8)
    assert targets.for_kind("detractor") == timedelta(hours=8)
    assert ResponseTargets(complaint=0.5).for_kind("complaint") == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("toml", "complaint"),
    [
        ('[business_hours]\nopens = "18:00"\ncloses = "09:00"\n', "opens must be before"),
        ("[business_hours]\ndays = []\n", "at least one day"),
        ('[business_hours]\ndays = ["monday"]\n', "days"),
        ("[response_targets]\ncomplaint = 0\n", "complaint"),
    ],
)
def test_a_bad_rules_file_names_what_is_wrong(tmp_path: Path, toml: str, complaint: str) -> None:
    path = tmp_path / "retention.toml"
    path.write_text(toml)
    with pytest.raises(RulesFileError, match=complaint):
        load_rules(path)
