"""Answering a survey in the chat: the score (a button or typed), the reason for it, the reward.

The conversation's state is the SurveyDispatch row, read at every update, so it survives a restart
and several bot processes agree on it. A detractor's score publishes DetractorAnswered at once
(Slack posts the alert) and the reason publishes SurveyCommented (Slack updates the alert).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.events import DetractorAnswered, SurveyCommented
from bot.services.customer_chat import PLATFORM
from bot.services.errors import AlreadyDone
from bot.services.interactions import log_interaction
from bot.services.loyalty import credit_points
from bot.services.survey_dispatch import advance
from bot.services.survey_states import (
    ANSWERED,
    AWAITING_REASON,
    EXPIRED,
    NPS,
    OPEN,
    SCALES,
    SENDING,
    SENT,
    is_detractor,
)
from bot.text.nps_answer import parse_score
from bot.text.sentiment import score_sentiment
from storage import repositories as repo
from storage.models import SurveyDispatch, SurveyResponse
from storage.uow import UnitOfWork

MAX_COMMENT = 4000


class SurveyClosed(AlreadyDone):
    """The survey was answered already, has expired, or is not this customer's."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("this survey has expired" if expired else "this survey was already answered")
        self.expired = expired


@dataclass(frozen=True)
class ScoreRecorded:
    dispatch_id: int
    kind: str
    score: int
    ask_reason: bool
    """NPS asks why next; CSAT is a single question and ends here."""
    points: int
    """Survey reward credited with this answer (0 if none is configured)."""
    question_message_id: str | None
    """The question's chat message, whose buttons are spent now."""


@dataclass(frozen=True)
class SurveyFinished:
    kind: str
    score: int
    points: int


@dataclass(frozen=True)
class ScoreNotUnderstood:
    dispatch_id: int
    kind: str
    low: int
    high: int


SurveyAnswer = ScoreRecorded | SurveyFinished | ScoreNotUnderstood


_OPEN: Final = (
    sa_select(col(SurveyDispatch.id))
    .where(
        col(SurveyDispatch.customer_id) == bindparam("customer_id"),
        (col(SurveyDispatch.status).in_(OPEN) & (col(SurveyDispatch.expires_at) > bindparam("now")))
        | (col(SurveyDispatch.status) == SENDING),  # delivered, not yet marked sent
    )
    .order_by(col(SurveyDispatch.sent_at).desc(), col(SurveyDispatch.id).desc())
    .limit(1)
)
"""Asked for every message a customer types: one prepared statement, the row loaded only if found."""


def open_survey(uow: UnitOfWork, clock: Clock, customer_id: int) -> SurveyDispatch | None:
    """The customer's survey waiting for an answer (the newest, if several), unless it has expired."""
    with uow:
        found = uow.session.execute(_OPEN, {"customer_id": customer_id, "now": clock.now()}).scalar()
        return None if found is None else uow.session.get(SurveyDispatch, found)


def _reward_key(dispatch_id: int) -> str:
    return f"survey:{dispatch_id}"


def _record_score(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, dispatch: SurveyDispatch, score: int
) -> ScoreRecorded:
    assert dispatch.id is not None
    now = clock.now()
    ask_reason = dispatch.kind == NPS
    moved = advance(
        uow,
        dispatch.id,
        from_status=(SENDING, SENT),
        values={"status": AWAITING_REASON if ask_reason else ANSWERED},
    )
    if not moved:
        raise SurveyClosed(expired=False)
    response = SurveyResponse(
        dispatch_id=dispatch.id,
        customer_id=dispatch.customer_id,
        kind=dispatch.kind,
        score=score,
        answered_at=now,
    )
    uow.session.add(response)
    uow.flush()
    assert response.id is not None
    points = 0
    if dispatch.kind == NPS and rules.survey.reward_points > 0:
        entry, _ = credit_points(
            uow,
            clock,
            rules,
            customer_id=dispatch.customer_id,
            points=rules.survey.reward_points,
            kind="survey",
            reason="survey reward",
            actor="system",
            idempotency_key=_reward_key(dispatch.id),
            pending=False,
        )
        points = entry.delta
    if is_detractor(dispatch.kind, score):
        uow.emit(
            DetractorAnswered(
                customer_id=dispatch.customer_id, response_id=response.id, score=score, comment=None
            )
        )
    return ScoreRecorded(dispatch.id, dispatch.kind, score, ask_reason, points, dispatch.chat_message_id)


def _finish(uow: UnitOfWork, clock: Clock, dispatch: SurveyDispatch, comment: str | None) -> SurveyFinished:
    """End the survey after its reason (or /skip); the detractor's reason updates the alert."""
    assert dispatch.id is not None
    if not advance(uow, dispatch.id, from_status=(AWAITING_REASON,), values={"status": ANSWERED}):
        raise SurveyClosed(expired=False)
    response = uow.session.exec(select(SurveyResponse).where(SurveyResponse.dispatch_id == dispatch.id)).one()
    assert response.id is not None
    if comment:
        response.comment = comment[:MAX_COMMENT]
        response.sentiment = score_sentiment(response.comment).score
        response.commented_at = clock.now()
        uow.session.add(response)
        if is_detractor(response.kind, response.score):
            uow.emit(
                SurveyCommented(
                    customer_id=response.customer_id,
                    response_id=response.id,
                    score=response.score,
                    comment=response.comment,
                )
            )
    reward = repo.ledger_entry_by_key(uow.session, _reward_key(dispatch.id))
    return SurveyFinished(response.kind, response.score, reward.delta if reward else 0)


def answer_button(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, *, customer_id: int, dispatch_id: int, score: int
) -> ScoreRecorded:
    """A tapped score button. A button of an answered, expired or someone else's survey changes nothing."""
    with uow:
        dispatch = uow.session.get(SurveyDispatch, dispatch_id)
        if dispatch is None or dispatch.customer_id != customer_id:
            raise SurveyClosed(expired=False)
        scale = SCALES[dispatch.kind]
        expired = dispatch.status == EXPIRED or (
            dispatch.status == SENT and (dispatch.expires_at is None or dispatch.expires_at <= clock.now())
        )
        if expired:
            raise SurveyClosed(expired=True)
        if dispatch.status not in (SENDING, SENT) or not scale.low <= score <= scale.high:
            raise SurveyClosed(expired=False)
        return _record_score(uow, clock, rules, dispatch, score)


def answer_text(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    text: str,
    source_event_id: str | None,
) -> SurveyAnswer | None:
    """Text while a survey waits: its score (typed, in any form parse_score reads) or the reason.

    None when no survey is waiting (the text is something else: feedback).
    """
    with uow:
        dispatch = open_survey(uow, clock, customer_id)
        if dispatch is None:
            return None
        assert dispatch.id is not None
        log_interaction(
            uow,
            clock,
            customer_id=customer_id,
            channel=PLATFORM,
            direction="inbound",
            kind="survey",
            text=text,
            source_event_id=source_event_id,
            score=dispatch.status == AWAITING_REASON,
        )
        if dispatch.status == AWAITING_REASON:
            return _finish(uow, clock, dispatch, text.strip())
        scale = SCALES[dispatch.kind]
        score = parse_score(text, scale.low, scale.high)
        if score is None:
            return ScoreNotUnderstood(dispatch.id, dispatch.kind, scale.low, scale.high)
        return _record_score(uow, clock, rules, dispatch, score)


def skip_reason(uow: UnitOfWork, clock: Clock, *, customer_id: int) -> SurveyFinished | None:
    """/skip: end the survey without a reason. None if no survey is waiting for one."""
    with uow:
        dispatch = open_survey(uow, clock, customer_id)
        if dispatch is None or dispatch.status != AWAITING_REASON:
            return None
        return _finish(uow, clock, dispatch, None)
