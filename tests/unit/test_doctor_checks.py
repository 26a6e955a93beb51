"""The doctor's pieces that need no platform: the report, redaction, the manifest, time zone and
digest time (the platform checks are in tests/e2e/test_doctor.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.doctor.local import check_digest_time, check_settings, check_timezone
from bot.doctor.manifest import ManifestError, bot_scopes
from bot.doctor.model import Check, Report, Status, failed, ok, skipped, warning

REPO = Path(__file__).resolve().parents[2]


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_warnings_and_skipped_checks_pass_a_failure_does_not() -> None:
    passing = Report((ok("a", "fine"), warning("b", "hm", "do x"), skipped("c", "off")))
    failing = Report((*passing.checks, failed("d", "broken", "do y")))

    assert passing.ok and not failing.ok
    assert failing.summary() == "1 ok, 1 warning, 1 failed, 1 skipped"
    assert failing.to_json()["checks"][3] == {
        "name": "d",
        "status": "failed",
        "detail": "broken",
        "fix": "do y",
    }


def test_secrets_are_redacted_from_detail_and_fix() -> None:
    check = Check(
        "telegram token", Status.FAILED, "GET /bot123:SECRET-TOKEN/getMe failed", "not 123:SECRET-TOKEN"
    )

    assert check.redacted(["123:SECRET-TOKEN", ""]) == Check(
        "telegram token", Status.FAILED, "GET /bot***/getMe failed", "not ***"
    )


def test_the_packaged_manifest_is_the_repository_s_and_its_bot_scopes_are_read() -> None:
    scopes = bot_scopes()

    assert "chat:write" in scopes and "channels:read" in scopes and "commands" in scopes
    assert scopes == bot_scopes(REPO / "slack-manifest.yml")


def test_a_missing_or_scope_less_manifest_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"cannot read nowhere\.yml"):
        bot_scopes(tmp_path / "nowhere.yml")
    (tmp_path / "m.yml").write_text("oauth_config:\n  scopes: {}\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"has no oauth_config\.scopes\.bot list"):
        bot_scopes(tmp_path / "m.yml")


def test_the_timezone_check_shows_the_local_time_and_warns_when_timezone_is_not_set() -> None:
    now = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)

    taipei = check_timezone(settings(timezone="Asia/Taipei"), now)
    default = check_timezone(settings(), now)

    assert taipei == ok("timezone", "Asia/Taipei: it is Thu 3 Dec 2026 14:30 (UTC+08:00) there now")
    assert default.status is Status.WARNING and "TIMEZONE is not set" in default.detail
    assert default.fix is not None and "TIMEZONE=Asia/Taipei" in default.fix


def test_the_digest_time_check_shows_when_the_next_digest_is_due() -> None:
    values = {"slack_bot_token": "xoxb-1", "slack_team_channel": "C0123456"}
    at_nine = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 in Taipei: today's is due now, next tomorrow
    # Berlin moves its clocks forward on 29 March 2026: 23 hours from 09:00 to 09:00.
    before_dst = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)

    taipei = check_digest_time(settings(timezone="Asia/Taipei", **values), at_nine)
    berlin = check_digest_time(settings(timezone="Europe/Berlin", **values), before_dst)
    without_slack = check_digest_time(settings(), at_nine)

    assert taipei.detail == "DIGEST_TIME 09:00: the next digest is due Fri 4 Dec 2026 09:00 (in 24 h 0 min)"
    assert berlin.detail == "DIGEST_TIME 09:00: the next digest is due Sun 29 Mar 2026 09:00 (in 23 h 0 min)"
    assert without_slack.status is Status.SKIPPED


def test_the_settings_check_names_the_shop_webhooks_that_are_on(tmp_path: Path) -> None:
    chat_and_shop = settings(telegram_bot_token="1:abc", shopify_webhook_secret="shpss_x")
    shops_only = settings(shopify_webhook_secret="shpss_x", woocommerce_webhook_secret="wc_x")

    assert check_settings(chat_and_shop, tmp_path).detail.startswith(
        "Telegram (long polling) and Shopify webhooks set up; "
    )
    assert check_settings(shops_only, tmp_path).status is Status.OK
    assert check_settings(shops_only, tmp_path).detail.startswith(
        "Shopify webhooks and WooCommerce webhooks set up; "
    )
    assert "shpss_x" not in check_settings(chat_and_shop, tmp_path).detail
