"""The first-response clock's sweep (SPEC §8): every scheduler tick (30 s), conversations past their
target are flagged once (bot/services/response_clock.py); the Slack part updates their alerts from
the outbox. No job-run row per tick: the flag itself is the once-only claim."""

from __future__ import annotations

import logging

from bot.context import AppContext
from bot.services.response_clock import flag_overdue

log = logging.getLogger(__name__)


async def flag_overdue_conversations(ctx: AppContext) -> str | None:
    """Flag what fell overdue since the last tick; a log line when something did."""
    flagged = await ctx.call(flag_overdue, ctx.clock, ctx.rules, ctx.settings.tz)
    if not flagged:
        return None
    shown = ", ".join(f"#{ticket}" for ticket in flagged)
    outcome = f"response clock: {len(flagged)} conversation(s) past their first-response target: {shown}"
    log.info(outcome)
    return outcome
