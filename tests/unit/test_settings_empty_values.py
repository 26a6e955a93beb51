"""SPEC §2: an empty value (`KEY=` in `.env` or in the environment) means the same as leaving KEY out."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.app import Parts, build_components
from bot.config import Settings
from bot.context import AppContext

REPO = Path(__file__).resolve().parents[2]
FIELDS = sorted(Settings.model_fields)


@pytest.fixture(name="blank_dir")
def fixture_blank_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory is an empty temp dir and no setting comes from the environment."""
    for key in list(os.environ):
        if key.lower() in Settings.model_fields:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _default(field: str) -> object:
    return Settings.model_fields[field].get_default(call_default_factory=True)


@pytest.mark.parametrize("field", FIELDS, ids=str.upper)
def test_an_empty_value_in_dot_env_is_the_default(blank_dir: Path, field: str) -> None:
    (blank_dir / ".env").write_text(f"{field.upper()}=\n", encoding="utf-8")

    settings = Settings()

    assert getattr(settings, field) == _default(field)
    assert field not in settings.model_fields_set


@pytest.mark.parametrize("field", FIELDS, ids=str.upper)
def test_an_empty_environment_variable_is_the_default(
    blank_dir: Path, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    monkeypatch.setenv(field.upper(), "")

    settings = Settings()

    assert getattr(settings, field) == _default(field)
    assert field not in settings.model_fields_set


def test_an_empty_environment_variable_leaves_the_dot_env_value_in_force(
    blank_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (blank_dir / ".env").write_text("HTTP_PORT=8123\nDIGEST_TIME=07:30\n", encoding="utf-8")
    monkeypatch.setenv("HTTP_PORT", "")
    monkeypatch.setenv("DIGEST_TIME", "")

    settings = Settings()

    assert (settings.http_port, settings.digest_time) == (8123, "07:30")


def test_the_shipped_env_example_copied_as_is_sets_no_secret_and_no_rules_file(blank_dir: Path) -> None:
    shutil.copyfile(REPO / ".env.example", blank_dir / ".env")

    settings = Settings()

    assert settings.retention_config is None
    for secret in (
        "telegram_bot_token",
        "telegram_webhook_secret",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
    ):
        assert getattr(settings, secret) is None, secret
    assert settings.telegram_webhook_url is None and settings.slack_team_channel is None
    assert (settings.http_port, settings.digest_time, settings.timezone) == (8080, "09:00", "UTC")


def test_with_the_shipped_env_example_both_chat_parts_are_off_and_the_rules_are_the_defaults(
    blank_dir: Path,
) -> None:
    shutil.copyfile(REPO / ".env.example", blank_dir / ".env")

    ctx = AppContext.from_settings(Settings())
    try:
        components, status = build_components(ctx, Parts(scheduler=False))
    finally:
        ctx.close()

    assert components == []
    assert status == {"telegram": "off", "slack": "off", "scheduler": "off"}
