"""Answers the shop wrote (SPEC §8): a customer's question answered from the rules file's [[faq]],
the two buttons under the answer, and the counts `/crm faq` shows.

The answer alone alerts nobody. "That helps" only counts; "Talk to a person" opens a conversation
with staff (or joins the open one). Each answer is a row (`FaqReply`), claimed by the first tap, so a
second or stale tap does nothing twice.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import func, or_, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules, FaqEntry
from bot.services.conversations import open_or_join_conversation, open_ticket_of
from bot.services.errors import AlreadyDone, InvalidInput
from bot.services.interactions import log_interaction
from bot.services.surveys import open_survey
from bot.services.tickets import MAX_FEEDBACK
from bot.text.faq import FaqMatcher, matcher_for
from storage.models import FaqReply, Interaction, Ticket
from storage.uow import UnitOfWork

HELPED = "helped"
PERSON = "person"


@dataclass(frozen=True)
class FaqAnswered:
    reply_id: int
    entry: FaqEntry
    text: str
    """The answer in the customer's language."""
    fresh: bool
    """False for a replayed message: it was answered before (and is counted once)."""


@dataclass(frozen=True)
class PersonAsked:
    ticket_id: int
    opened: bool
    """True: a new conversation; False: the customer's open one, which the question joined."""


@dataclass(frozen=True)
class FaqCount:
    entry: FaqEntry
    answered: int
    helped: int
    asked_for_person: int


@functools.lru_cache(maxsize=8)
def _matcher(entries: tuple[FaqEntry, ...]) -> FaqMatcher:
    return matcher_for(entry.questions for entry in entries)


def answer_from_faq(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    text: str,
    language: str,
    source_event_id: str | None,
) -> FaqAnswered | None:
    """The shop's answer to this message, or None when it is not one of the FAQ's questions, a
    survey waits for this text, or a conversation with staff is open (the message joins that)."""
    if not rules.faq:
        return None
    found = _matcher(rules.faq).match(text)
    if found is None:
        return None
    entry = rules.faq[found.index]
    with uow:
        if open_survey(uow, clock, customer_id) is not None or open_ticket_of(uow, customer_id) is not None:
            return None
        interaction, created = log_interaction(
            uow,
            clock,
            customer_id=customer_id,
            channel="telegram",
            direction="inbound",
            kind="message",
            text=text[:MAX_FEEDBACK],
            source_event_id=source_event_id,
        )
        assert interaction.id is not None
        reply = uow.session.exec(select(FaqReply).where(FaqReply.interaction_id == interaction.id)).first()
        if reply is None:
            if not created:
                return None  # this message was handled otherwise before: not an FAQ answer now
            reply = FaqReply(
                customer_id=customer_id,
                entry_id=entry.id,
                interaction_id=interaction.id,
                answered_at=clock.now(),
            )
            uow.session.add(reply)
            uow.flush()
        assert reply.id is not None
        return FaqAnswered(reply.id, entry, entry.answer.for_language(language), created)


def faq_helped(uow: UnitOfWork, clock: Clock, *, customer_id: int, reply_id: int) -> None:
    """ "That helps": counted once. A second tap, or one after "Talk to a person", is AlreadyDone."""
    with uow:
        _reply_of(uow, customer_id, reply_id)
        claimed = uow.session.execute(
            update(FaqReply)
            .where(col(FaqReply.id) == reply_id, col(FaqReply.outcome).is_(None))
            .values(outcome=HELPED, outcome_at=clock.now())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise AlreadyDone("this answer was already rated")


def faq_wants_person(uow: UnitOfWork, clock: Clock, *, customer_id: int, reply_id: int) -> PersonAsked:
    """ "Talk to a person": a conversation with staff about the question (once, however many taps).
    Allowed after "That helps" too: a person is never out of reach."""
    with uow:
        reply = _reply_of(uow, customer_id, reply_id)
        claimed = uow.session.execute(
            update(FaqReply)
            .where(
                col(FaqReply.id) == reply_id,
                or_(col(FaqReply.outcome).is_(None), col(FaqReply.outcome) == HELPED),
            )
            .values(outcome=PERSON, outcome_at=clock.now())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise AlreadyDone("a person was already asked for")
        question = uow.session.get(Interaction, reply.interaction_id)
        ticket, opened = open_conversation_for_faq(
            uow,
            clock,
            customer_id=customer_id,
            text=question.text if question else "",
            interaction_id=reply.interaction_id,
        )
        assert ticket.id is not None
        uow.session.execute(update(FaqReply).where(col(FaqReply.id) == reply_id).values(ticket_id=ticket.id))
        return PersonAsked(ticket.id, opened)


def open_conversation_for_faq(
    uow: UnitOfWork, clock: Clock, *, customer_id: int, text: str, interaction_id: int | None
) -> tuple[Ticket, bool]:
    """The conversation "Talk to a person" opens (a question), or the customer's open one, which
    the question joins; the answered message is attached to it."""
    turn = open_or_join_conversation(
        uow,
        clock,
        customer_id=customer_id,
        kind="question",
        text=text,
        interaction_id=interaction_id,
        source="faq",
    )
    return turn.ticket, turn.opened


def _reply_of(uow: UnitOfWork, customer_id: int, reply_id: int) -> FaqReply:
    reply = uow.session.get(FaqReply, reply_id)
    if reply is None or reply.customer_id != customer_id:
        raise InvalidInput("no such answer")
    return reply


def faq_counts(uow: UnitOfWork, rules: BusinessRules) -> list[FaqCount]:
    """Each [[faq]] entry, in the rules file's order, with how often it answered, how often that
    helped and how often people still asked for a person."""
    with uow:
        rows = uow.session.exec(
            select(FaqReply.entry_id, FaqReply.outcome, func.count()).group_by(
                col(FaqReply.entry_id), col(FaqReply.outcome)
            )
        ).all()
    counts: dict[str, dict[str | None, int]] = {}
    for entry_id, outcome, n in rows:
        counts.setdefault(entry_id, {})[outcome] = n
    out = []
    for entry in rules.faq:
        by_outcome = counts.get(entry.id, {})
        out.append(
            FaqCount(
                entry,
                answered=sum(by_outcome.values()),
                helped=by_outcome.get(HELPED, 0),
                asked_for_person=by_outcome.get(PERSON, 0),
            )
        )
    return out
