"""Settings and business rules: the example files document exactly what the code reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import BusinessRules, Settings, load_rules
from bot.config.rules import RulesFileError

REPO = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting_with_a_comment() -> None:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    documented = re.findall(r"^# .+\n(?:# .*\n)*([A-Z_]+)=", text, flags=re.MULTILINE)
    assert sorted(documented) == sorted(name.upper() for name in Settings.model_fields)


def test_example_toml_spells_out_the_built_in_defaults_and_shows_a_few_faq_entries() -> None:
    example = load_rules(REPO / "retention.example.toml")
    assert example.model_copy(update={"faq": ()}) == BusinessRules()
    assert BusinessRules().faq == ()
    assert [entry.id for entry in example.faq] == ["hours", "location", "points"]


def test_a_bad_rules_file_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text("[tiers]\nlevels = [{ name = 'Gold', threshold = 10 }]\n", encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"tiers.*threshold 0"):
        load_rules(bad)
    with pytest.raises(RulesFileError, match="does not exist"):
        load_rules(tmp_path / "missing.toml")


def test_settings_reject_unknown_time_zone_and_language() -> None:
    with pytest.raises(ValidationError, match="IANA"):
        Settings(_env_file=None, timezone="Mars/Olympus")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="zh-Hant"):
        Settings(_env_file=None, default_language="fr")  # type: ignore[call-arg]


def test_secrets_never_show_in_the_settings_repr() -> None:
    settings = Settings(_env_file=None, telegram_bot_token="123:SECRET", slack_bot_token="xoxb-SECRET")  # type: ignore[call-arg]
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings.model_dump())
