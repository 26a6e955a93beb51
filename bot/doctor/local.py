"""Checks that need no network: the settings, the rules file, the time zone and the digest time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.config.rules import RulesFileError, load_rules
from bot.doctor.model import Check, failed, ok, skipped, warning

ENV_FILE = ".env"


def check_settings(settings: Settings, cwd: Path) -> Check:
    """Loaded (bad values never get here: the CLI stops on them), and at least one platform set up."""
    env = cwd / ENV_FILE
    source = f"read from the environment and {env}" if env.is_file() else f"no {ENV_FILE} in {cwd}"
    parts = [
        part for part in (_telegram_part(settings), _slack_part(settings), *_shop_parts(settings)) if part
    ]
    if not parts:
        return failed(
            "settings",
            f"neither TELEGRAM_BOT_TOKEN nor SLACK_BOT_TOKEN is set ({source}): the bot has nothing to do",
            "put your bot's token from @BotFather in TELEGRAM_BOT_TOKEN and/or the Slack app's "
            "Bot User OAuth Token (xoxb-…) in SLACK_BOT_TOKEN, in the .env file of the directory "
            "you run retention-bot in",
        )
    return ok("settings", f"{_and(parts)} set up; {source}")


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _shop_parts(settings: Settings) -> list[str]:
    """The shop webhooks whose secret is set (SPEC §9); without it a route answers 503."""
    shops = (
        ("Shopify", settings.shopify_webhook_secret),
        ("WooCommerce", settings.woocommerce_webhook_secret),
    )
    return [f"{shop} webhooks" for shop, secret in shops if secret is not None]


def _telegram_part(settings: Settings) -> str | None:
    if settings.telegram_bot_token is None:
        return None
    return "Telegram (webhook)" if settings.telegram_webhook_url else "Telegram (long polling)"


def _slack_part(settings: Settings) -> str | None:
    if settings.slack_bot_token is None:
        return None
    return "Slack (Socket Mode)" if settings.slack_app_token is not None else "Slack (HTTP mode)"


def check_rules(settings: Settings) -> Check:
    path = settings.retention_config
    if path is None:
        return ok("rules", "RETENTION_CONFIG not set: the built-in business rules apply")
    try:
        rules = load_rules(path)
    except RulesFileError as exc:
        return failed(
            "rules",
            str(exc),
            "correct the file (retention.example.toml shows every key with its default), "
            "or empty RETENTION_CONFIG to use the built-in rules",
        )
    tiers = "/".join(level.name for level in rules.tiers.levels)
    return ok("rules", f"{path}: {len(rules.rewards)} rewards, tiers {tiers}")


def check_timezone(settings: Settings, now: datetime) -> Check:
    """Shows the local time, so the owner sees at a glance whether TIMEZONE is the shop's."""
    local = now.astimezone(settings.tz)
    shown = f"{settings.timezone}: it is {_when(local)} (UTC{local.isoformat()[-6:]})"
    if "timezone" not in settings.model_fields_set:
        return warning(
            "timezone",
            f"TIMEZONE is not set, so daily work follows {shown}",
            "set TIMEZONE to the shop's time zone, e.g. TIMEZONE=Asia/Taipei or TIMEZONE=Europe/Berlin "
            "(leave it if the shop really keeps UTC)",
        )
    return ok("timezone", f"{shown} there now")


def check_digest_time(settings: Settings, now: datetime) -> Check:
    local = now.astimezone(settings.tz)
    due = local.replace(
        hour=settings.digest_local_time.hour,
        minute=settings.digest_local_time.minute,
        second=0,
        microsecond=0,
    )
    if due <= local:
        due += timedelta(days=1)  # zoneinfo arithmetic keeps the wall time across a DST change
    left = due.astimezone(UTC) - now.astimezone(UTC)  # aware, same zone: Python would subtract wall times
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    detail = (
        f"DIGEST_TIME {settings.digest_time}: the next digest is due {_when(due)} "
        f"(in {hours} h {minutes} min)"
    )
    if settings.slack_bot_token is None or not settings.slack_team_channel:
        return skipped(
            "digest time",
            f"DIGEST_TIME {settings.digest_time}, but no digest is posted without SLACK_BOT_TOKEN and "
            "SLACK_TEAM_CHANNEL",
        )
    return ok("digest time", detail)


def _when(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M}"
