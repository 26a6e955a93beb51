"""Running every check at once (the network ones concurrently, each with a short timeout), and the
start-up log of `retention-bot run`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from bot.config import Settings
from bot.doctor import slack, telegram
from bot.doctor.database import NAME as DATABASE
from bot.doctor.database import check_database
from bot.doctor.local import check_digest_time, check_rules, check_settings, check_timezone
from bot.doctor.model import Check, Report, Status, failed, skipped
from bot.logsetup import secret_values

log = logging.getLogger("retention_bot.doctor")

DEFAULT_TIMEOUT = 3.0


@dataclass(frozen=True)
class Scope:
    """Which parts to look at: `run --no-telegram` does not check Telegram, and so on."""

    telegram: bool = True
    slack: bool = True


async def diagnose(
    settings: Settings,
    now: datetime,
    *,
    engine: Engine | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    scope: Scope = Scope(),
    cwd: Path | None = None,
) -> Report:
    """Every check of SPEC §11 for these settings. `engine` is the running bot's (else one is made
    for the check and closed); `timeout` bounds each network call."""
    database, telegram_part, slack_part = await asyncio.gather(
        _guarded([DATABASE], timeout, lambda: _one(check_database(settings.database_url, engine, timeout))),
        _guarded(
            [telegram.TOKEN, telegram.WEBHOOK],
            timeout,
            lambda: telegram.telegram_checks(settings, now, timeout),
            off="switched off (--no-telegram)" if not scope.telegram else None,
        ),
        _guarded(
            [slack.TOKEN, slack.SCOPES, slack.CHANNEL, slack.CONNECTION],
            timeout,
            lambda: slack.slack_checks(settings, timeout),
            off="switched off (--no-slack)" if not scope.slack else None,
        ),
    )
    checks = [
        check_settings(settings, cwd or Path.cwd()),
        check_rules(settings),
        *database,
        *telegram_part,
        *slack_part,
        check_timezone(settings, now),
        check_digest_time(settings, now),
    ]
    secrets = secret_values(settings)
    return Report(tuple(check.redacted(secrets) for check in checks))


async def _one(check: Awaitable[Check]) -> list[Check]:
    return [await check]


async def _guarded(
    names: list[str],
    timeout: float,  # noqa: ASYNC109
    work: Callable[[], Awaitable[list[Check]]],
    *,
    off: str | None = None,
) -> list[Check]:
    """A group of checks that never raises and never outlasts a few timeouts: a fault in the doctor
    itself becomes a failed check that says so."""
    if off is not None:
        return [skipped(name, off) for name in names]
    try:
        return await asyncio.wait_for(work(), timeout * 3 + 1)
    except TimeoutError:
        return [failed(names[0], f"no answer within {timeout * 3 + 1:g} s", "run the doctor again")] + [
            skipped(name, "not checked") for name in names[1:]
        ]
    except Exception as exc:
        log.exception("doctor check %s failed", names[0])
        return [failed(names[0], f"the check itself failed: {type(exc).__name__}: {exc}", "report this")] + [
            skipped(name, "not checked") for name in names[1:]
        ]


async def check_at_start(settings: Settings, now: datetime, engine: Engine, scope: Scope) -> Report:
    """`retention-bot run`: the same checks, logged (each problem at WARNING, a summary at INFO);
    the bot starts whatever they find."""
    report = await diagnose(settings, now, engine=engine, scope=scope)
    for check in report.checks:
        if check.status in (Status.OK, Status.SKIPPED):
            log.log(
                logging.DEBUG if check.status is Status.OK else logging.INFO,
                "doctor: %s %s: %s",
                check.name,
                check.status.value,
                check.detail,
            )
            continue
        log.warning("doctor: %s %s: %s. Fix: %s", check.name, check.status.value, check.detail, check.fix)
    log.info("doctor: %s; `retention-bot doctor` shows every check with its fix", report.summary())
    return report
