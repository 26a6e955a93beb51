"""What a customer's free text means: the answer to a survey while one waits, otherwise feedback."""

from __future__ import annotations

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.surveys import SurveyAnswer, answer_text
from bot.services.tickets import FeedbackOutcome, receive_feedback
from storage.uow import UnitOfWork


def handle_text(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    text: str,
    source_event_id: str | None,
) -> SurveyAnswer | FeedbackOutcome:
    """Route one message: an open survey takes it (a score, or the reason); anything else is feedback."""
    with uow:
        answer = answer_text(
            uow, clock, rules, customer_id=customer_id, text=text, source_event_id=source_event_id
        )
        if answer is not None:
            return answer
        return receive_feedback(
            uow, clock, customer_id=customer_id, text=text, source_event_id=source_event_id
        )
