"""Survey messages on their way out: marking them sent or failed, the CSAT after a resolved ticket,
the one reminder, and expiry. The Telegram side sends; these functions keep the record straight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.events import SurveyReminderDue
from bot.services.chat_preferences import ChatTarget, chat_target, mark_unreachable
from bot.services.contact_rules import block_reason, bot_contacted_since
from bot.services.customer_chat import PLATFORM
from bot.services.interactions import log_interaction
from bot.services.survey_states import (
    ANSWERED,
    AWAITING_REASON,
    CSAT,
    EXPIRED,
    FAILED,
    NPS,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
)
from storage.models import Customer, SurveyDispatch
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore


@dataclass(frozen=True)
class SurveyPrompt:
    """A survey question to deliver: which survey, to which chat, in which language."""

    dispatch_id: int
    customer_id: int
    kind: str
    chat_id: str
    language: str
    ticket_id: int | None = None


@dataclass(frozen=True)
class CsatStart:
    target: ChatTarget | None
    """Where to say the ticket is resolved (None: no reachable chat)."""
    prompt: SurveyPrompt | None
    """The CSAT question to ask with it (None: opted out, or already asked for this ticket)."""


def advance(
    uow: UnitOfWork, dispatch_id: int, *, from_status: tuple[str, ...], values: dict[str, object]
) -> bool:
    """Move a dispatch on only if it is still in one of `from_status` (a race or replay moves nothing)."""
    result = uow.session.execute(
        update(SurveyDispatch)
        .where(col(SurveyDispatch.id) == dispatch_id, col(SurveyDispatch.status).in_(from_status))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    dispatch_id: int,
    message_id: str | None,
    text: str,
    bot_initiated: bool = True,
) -> bool:
    """The question reached the chat: open it for answers until it expires, and log it on the timeline.

    A customer may answer before this runs (the answer arrives while the row is still `sending`);
    the answer's status then stands and only the delivery is recorded.
    """
    now = clock.now()
    with uow:
        dispatch = uow.session.get(SurveyDispatch, dispatch_id)
        if dispatch is None or dispatch.chat_message_id is not None or dispatch.status in (FAILED, SKIPPED):
            return False
        advance(uow, dispatch_id, from_status=(QUEUED, SENDING), values={"status": SENT})
        dispatch.sent_at = now
        dispatch.expires_at = now + timedelta(days=rules.survey.expiry_days)
        dispatch.chat_message_id = message_id or "?"
        uow.session.add(dispatch)
        log_interaction(
            uow,
            clock,
            customer_id=dispatch.customer_id,
            channel=PLATFORM,
            direction="outbound",
            kind="survey",
            text=text,
            bot_initiated=bot_initiated,
            score=False,
        )
        return True


def mark_failed(
    uow: UnitOfWork, clock: Clock, *, dispatch_id: int, reason: str, unreachable: bool = False
) -> None:
    """Telegram refused the question (it did not go out); a 403 marks the customer unreachable."""
    with uow:
        values: dict[str, object] = {"status": FAILED, "skip_reason": reason[:64]}
        if advance(uow, dispatch_id, from_status=(QUEUED, SENDING), values=values) and unreachable:
            dispatch = uow.session.get(SurveyDispatch, dispatch_id)
            assert dispatch is not None
            mark_unreachable(uow, clock, customer_id=dispatch.customer_id)


def mark_in_doubt(uow: UnitOfWork, *, dispatch_id: int, reason: str) -> None:
    """The send failed in a way that may still have delivered it (a network failure, a timeout): it
    stays `sending`, not retried by this sender; whoever takes the campaign over next sends it again."""
    with uow:
        advance(uow, dispatch_id, from_status=(SENDING,), values={"skip_reason": reason[:64]})


def requeue(uow: UnitOfWork, *, dispatch_id: int) -> None:
    """Telegram refused with 429 (certainly not delivered): put the survey back in the queue."""
    with uow:
        advance(uow, dispatch_id, from_status=(SENDING,), values={"status": QUEUED, "sent_at": None})


def start_csat(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ticket_id: int,
    customer_id: int,
    default_language: str,
    in_doubt: bool = False,
) -> CsatStart:
    """A resolved ticket: where to tell the customer, and the one CSAT question for this ticket.

    Asked again, the question comes back only if it never reached the chat: Telegram refused it
    (failed), or, with `in_doubt` (a delivery taken over from a sender that died), it was being sent.
    """
    now = clock.now()
    with uow:
        target = chat_target(uow, customer_id, default_language=default_language)
        if target is None or target.unreachable:
            return CsatStart(None, None)
        customer = uow.session.get(Customer, customer_id)
        if customer is None or block_reason(customer) is not None:
            return CsatStart(target, None)
        row = {
            "customer_id": customer_id,
            "kind": CSAT,
            "ticket_id": ticket_id,
            "status": SENDING,
            "queued_at": now,
            "sent_at": now,
        }
        if not insert_ignore(uow.session, SurveyDispatch, [row]):
            return CsatStart(target, _unsent_csat(uow, ticket_id, target, now, in_doubt=in_doubt))
        dispatch = uow.session.exec(select(SurveyDispatch).where(SurveyDispatch.ticket_id == ticket_id)).one()
        assert dispatch.id is not None
        prompt = SurveyPrompt(dispatch.id, customer_id, CSAT, target.chat_id, target.language, ticket_id)
        return CsatStart(target, prompt)


def _unsent_csat(
    uow: UnitOfWork, ticket_id: int, target: ChatTarget, now: datetime, *, in_doubt: bool
) -> SurveyPrompt | None:
    dispatch = uow.session.exec(select(SurveyDispatch).where(SurveyDispatch.ticket_id == ticket_id)).one()
    again = (SENDING, FAILED) if in_doubt else (FAILED,)
    unsent = dispatch.chat_message_id is None and dispatch.status in again
    if dispatch.id is None or not unsent:
        return None
    if dispatch.status == FAILED and dispatch.skip_reason == "blocked":
        return None
    advance(uow, dispatch.id, from_status=(SENDING, FAILED), values={"status": SENDING, "sent_at": now})
    return SurveyPrompt(dispatch.id, dispatch.customer_id, CSAT, target.chat_id, target.language, ticket_id)


def expire_surveys(uow: UnitOfWork, clock: Clock) -> int:
    """Close surveys past their expiry: unanswered ones expire; a missing reason just ends the survey."""
    now = clock.now()
    with uow:
        due = col(SurveyDispatch.expires_at) <= now
        expired = uow.session.execute(
            update(SurveyDispatch).where(col(SurveyDispatch.status) == SENT, due).values(status=EXPIRED)
        )
        uow.session.execute(
            update(SurveyDispatch)
            .where(col(SurveyDispatch.status) == AWAITING_REASON, due)
            .values(status=ANSWERED)
        )
        return int(expired.rowcount)  # type: ignore[attr-defined]


def send_due_reminders(uow: UnitOfWork, clock: Clock, rules: BusinessRules, *, limit: int = 500) -> int:
    """Claim the one reminder of each unanswered NPS survey that is due; SurveyReminderDue delivers it.

    Opted-out and unreachable customers get none; a customer who got another bot-initiated message
    within the quiet period is left for a later call (the reminder stays due until the survey expires).
    """
    now = clock.now()
    quiet = timedelta(hours=rules.contact.min_hours_between_bot_messages)
    with uow:
        rows = uow.session.exec(
            select(SurveyDispatch, Customer)
            .join(Customer, col(Customer.id) == col(SurveyDispatch.customer_id))
            .where(
                SurveyDispatch.kind == NPS,
                SurveyDispatch.status == SENT,
                col(SurveyDispatch.reminded_at).is_(None),
                col(SurveyDispatch.sent_at) <= now - timedelta(hours=rules.survey.reminder_after_hours),
                col(SurveyDispatch.expires_at) > now,
            )
            .order_by(col(SurveyDispatch.sent_at))
            .limit(limit)
        ).all()
        candidates = [(d, c) for d, c in rows if block_reason(c) is None]
        recent = (
            bot_contacted_since(uow.session, now - quiet, [c.id for _, c in candidates if c.id])
            if quiet
            else set()
        )
        claimed = 0
        for dispatch, customer in candidates:
            assert dispatch.id is not None and customer.id is not None
            if customer.id in recent:
                continue
            if advance(uow, dispatch.id, from_status=(SENT,), values={"reminded_at": now}):
                uow.emit(SurveyReminderDue(customer_id=customer.id, dispatch_id=dispatch.id))
                claimed += 1
        return claimed


def reminder_prompt(uow: UnitOfWork, *, dispatch_id: int, default_language: str) -> SurveyPrompt | None:
    """The reminder to deliver now, unless the survey was answered meanwhile or the chat is gone."""
    with uow:
        dispatch = uow.session.get(SurveyDispatch, dispatch_id)
        if dispatch is None or dispatch.status != SENT or dispatch.id is None:
            return None
        target = chat_target(uow, dispatch.customer_id, default_language=default_language)
        if target is None or target.unreachable:
            return None
        return SurveyPrompt(dispatch.id, dispatch.customer_id, dispatch.kind, target.chat_id, target.language)
