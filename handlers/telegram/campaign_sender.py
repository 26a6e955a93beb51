"""Sending a survey campaign through Telegram: claimed batches, as fast as the rate limiter allows.

Each survey is claimed before its message goes out and marked sent or failed after it, so a crash
or a second sender never surveys anyone twice. A 429 (Too Many Requests) means "not delivered": it
is waited out and retried, so no survey is lost to flood control. A 403 marks the customer
unreachable; a network failure is ambiguous (the message may have arrived) and is not retried.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot.context import AppContext
from bot.i18n import translator
from bot.services.campaigns import CampaignReport, campaign_report, claim_batch
from bot.services.survey_dispatch import SurveyPrompt, mark_failed, mark_sent, requeue
from handlers.telegram.calls import ServiceCalls
from handlers.telegram.keyboards import score_keyboard
from handlers.telegram.render import plain
from handlers.telegram.surveys import question

log = logging.getLogger(__name__)

ATTEMPTS: Final = 8
"""Sends refused with 429 are retried this often before the survey goes back to the queue."""

Progress = Callable[[bool], None]
"""Called after each survey: True if it was delivered."""


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # the int form is deprecated; the value is what we need
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def deliver(ctx: AppContext, bot: ExtBot[Any], prompt: SurveyPrompt, call: ServiceCalls) -> bool:
    """Send one claimed survey question and record the outcome; True if it reached the chat."""
    t = translator(prompt.language)
    body = question(t, ctx.settings.business_name, prompt.kind)
    for _ in range(ATTEMPTS):
        try:
            message = await bot.send_message(
                prompt.chat_id,
                body,
                parse_mode=ParseMode.HTML,
                reply_markup=score_keyboard(prompt.kind, prompt.dispatch_id),
            )
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc))
            continue
        except Forbidden as exc:
            log.info(
                "survey %s: customer %s blocked the bot (%s)", prompt.dispatch_id, prompt.customer_id, exc
            )
            await call(
                mark_failed, ctx.clock, dispatch_id=prompt.dispatch_id, reason="blocked", unreachable=True
            )
            return False
        except BadRequest as exc:
            log.warning("survey %s refused: %s", prompt.dispatch_id, exc)
            await call(mark_failed, ctx.clock, dispatch_id=prompt.dispatch_id, reason="bad_request")
            return False
        except NetworkError as exc:  # it may have arrived: never send it twice
            log.warning("survey %s: network failure, not retried: %s", prompt.dispatch_id, exc)
            await call(mark_failed, ctx.clock, dispatch_id=prompt.dispatch_id, reason="network")
            return False
        await call(
            mark_sent,
            ctx.clock,
            ctx.rules,
            dispatch_id=prompt.dispatch_id,
            message_id=str(message.message_id),
            text=plain(body),
        )
        return True
    await call(requeue, dispatch_id=prompt.dispatch_id)
    return False


def _finished(running: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "sending %s failed; it stays claimed, never sent twice",
                task.get_name(),
                exc_info=task.exception(),
            )

    return done


async def send_campaign(
    ctx: AppContext,
    bot: ExtBot[Any],
    campaign_id: int,
    *,
    batch: int = 100,
    in_flight: int = 40,
    progress: Progress | None = None,
    call: ServiceCalls | None = None,
) -> CampaignReport:
    """Send every queued survey of the campaign that the contact rules allow now; returns the counts."""
    if call is None:  # a one-off sender (the CLI): its own service calls, closed when it is done
        own = ServiceCalls(ctx)
        try:
            return await send_campaign(
                ctx, bot, campaign_id, batch=batch, in_flight=in_flight, progress=progress, call=own
            )
        finally:
            await own.close()
    slots = asyncio.Semaphore(in_flight)
    running: set[asyncio.Task[None]] = set()

    async def one(prompt: SurveyPrompt) -> None:
        try:
            delivered = await deliver(ctx, bot, prompt, call)
            if progress is not None:
                progress(delivered)
        finally:
            slots.release()

    try:
        while True:
            prompts = await call(
                claim_batch,
                ctx.clock,
                ctx.rules,
                ctx.settings.tz,
                campaign_id=campaign_id,
                limit=batch,
                default_language=ctx.settings.default_language,
            )
            if not prompts:
                if not running:
                    break
                await asyncio.wait(running)  # a requeued survey may be claimable again
                continue
            for prompt in prompts:
                await slots.acquire()
                task = asyncio.create_task(one(prompt), name=f"survey-{prompt.dispatch_id}")
                running.add(task)
                task.add_done_callback(_finished(running))
    finally:
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    return await call(campaign_report, ctx.clock, campaign_id=campaign_id)
