"""Sending a survey campaign through Telegram: one survey claimed per free slot, as fast as the rate
limiter allows, under the campaign's sender lease.

The sender holds the campaign's lease (renewed while it sends) and claims a survey only when a
slot is free to send it at once, so a crash leaves at most `in_flight` surveys "in doubt"
(claimed, maybe sent) and none skipped: the next lease holder sends those again. A 429 (Too Many
Requests) means "not delivered": it is waited out and retried, so no survey is lost to flood
control. A 403 marks the customer unreachable. A network failure is ambiguous (the message may have
arrived): this sender does not retry it; it stays in doubt, is counted as such in the report, and
the next takeover (`survey resume`, or the running bot) sends it again.
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
from bot.senders import new_sender_id
from bot.services.campaign_lease import LEASE, LeaseLost, release_lease, renew_lease, take_lease
from bot.services.campaigns import CampaignReport, campaign_report, claim_batch
from bot.services.survey_dispatch import SurveyPrompt, mark_failed, mark_in_doubt, mark_sent, requeue
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
        except NetworkError as exc:  # it may have arrived: in doubt, sent again only by a takeover
            log.warning("survey %s: network failure, in doubt: %s", prompt.dispatch_id, exc)
            await call(mark_in_doubt, dispatch_id=prompt.dispatch_id, reason="network")
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
                "sending %s failed; it stays in doubt: the next sender of the campaign sends it again",
                task.get_name(),
                exc_info=task.exception(),
            )

    return done


async def _keep_lease(
    ctx: AppContext, call: ServiceCalls, campaign_id: int, sender_id: str, lost: asyncio.Event
) -> None:
    """Renew the lease while sending (also while every slot waits out a 429); stop claiming if lost."""
    while True:
        await asyncio.sleep(LEASE.total_seconds() / 3)
        if not await call(renew_lease, ctx.clock, campaign_id=campaign_id, sender_id=sender_id):
            log.warning("campaign %s: another sender took it over; claiming nothing more", campaign_id)
            lost.set()
            return


IN_FLIGHT: Final = 16
"""Surveys claimed and on their way at once: enough to keep ~28 sends/s going with up to ~0.5 s a
round trip, and the most a crash can leave in doubt (each of those may reach its customer twice)."""


async def send_campaign(
    ctx: AppContext,
    bot: ExtBot[Any],
    campaign_id: int,
    *,
    in_flight: int = IN_FLIGHT,
    progress: Progress | None = None,
    call: ServiceCalls | None = None,
    sender_id: str | None = None,
) -> CampaignReport:
    """Send every queued survey of the campaign that the contact rules allow now; returns the counts.

    Takes the campaign's sender lease first (with `sender_id` the caller may hold it already); if a
    living sender holds it, sends nothing and returns the counts as they are.
    """
    if call is None:  # a one-off sender (the CLI): its own service calls, closed when it is done
        own = ServiceCalls(ctx)
        try:
            return await send_campaign(
                ctx, bot, campaign_id, in_flight=in_flight, progress=progress, call=own, sender_id=sender_id
            )
        finally:
            await own.close()
    me = sender_id or new_sender_id("telegram")
    grant = await call(take_lease, ctx.clock, campaign_id=campaign_id, sender_id=me)
    if not grant.acquired:
        if grant.running:
            log.info("campaign %s is being sent by %s; not sending it here", campaign_id, grant.holder)
        return await call(campaign_report, ctx.clock, campaign_id=campaign_id)
    if grant.in_doubt:
        log.warning(
            "campaign %s taken over: %s survey(s) in doubt are sent again", campaign_id, grant.in_doubt
        )
    lost = asyncio.Event()
    keeper = asyncio.create_task(_keep_lease(ctx, call, campaign_id, me, lost), name=f"lease-{campaign_id}")
    running: set[asyncio.Task[None]] = set()

    async def one(prompt: SurveyPrompt) -> None:
        delivered = await deliver(ctx, bot, prompt, call)
        if progress is not None:
            progress(delivered)

    try:
        while not lost.is_set():
            free = in_flight - len(running)
            if free <= 0:  # claim only what can go out now: a crash leaves few in doubt
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                prompts = await call(
                    claim_batch,
                    ctx.clock,
                    ctx.rules,
                    ctx.settings.tz,
                    campaign_id=campaign_id,
                    limit=free,
                    default_language=ctx.settings.default_language,
                    sender_id=me,
                )
            except LeaseLost as exc:
                log.warning("%s; claiming nothing more", exc)
                break
            if not prompts:
                if not running:
                    break
                # a survey requeued after repeated 429s may be claimable again
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                continue
            for prompt in prompts:
                task = asyncio.create_task(one(prompt), name=f"survey-{prompt.dispatch_id}")
                running.add(task)
                task.add_done_callback(_finished(running))
    finally:
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)
        if not running:  # nothing of ours in flight: the next sender need not wait for the lease
            await call(release_lease, campaign_id=campaign_id, sender_id=me)
    return await call(campaign_report, ctx.clock, campaign_id=campaign_id)
