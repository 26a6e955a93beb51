"""What a customer's message means, decided in one place (SPEC §3, §8): the answer to a survey while
one waits; otherwise it is triaged, and a complaint, a question or a request opens or joins the
customer's conversation, while praise and chatter stay on the timeline. A chat not linked to a
customer yet is heard as an unknown contact (contacts.py)."""

from __future__ import annotations

from dataclasses import replace

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.contacts import hear_contact
from bot.services.conversations import kind_of
from bot.services.customer_chat import ChatUser
from bot.services.errors import InvalidInput
from bot.services.surveys import SurveyAnswer, answer_text
from bot.services.tickets import FeedbackOutcome, receive_feedback
from storage.uow import UnitOfWork


def handle_text(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int | None,
    text: str,
    source_event_id: str | None,
    user: ChatUser | None = None,
    survey: bool = True,
) -> SurveyAnswer | FeedbackOutcome:
    """Route one message. `customer_id` None: an unlinked chat (`user`), heard as an unknown contact.
    `survey` False: `/feedback TEXT`, which is never a survey answer."""
    if not text.strip():
        raise InvalidInput("feedback cannot be empty")
    with uow:
        contact = customer_id is None
        if customer_id is None:
            if user is None:
                raise ValueError("an unlinked chat's message needs its chat user")
            customer_id, contact = hear_contact(uow, clock, user=user)
        elif survey:
            answer = answer_text(
                uow, clock, rules, customer_id=customer_id, text=text, source_event_id=source_event_id
            )
            if answer is not None:
                return answer
        kind = kind_of(text)
        outcome = receive_feedback(
            uow, clock, customer_id=customer_id, text=text, source_event_id=source_event_id, kind=kind
        )
        return replace(outcome, unknown_contact=contact)
