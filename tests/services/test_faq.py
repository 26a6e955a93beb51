"""Answers the shop wrote: answering from the FAQ, the two buttons (once each), and the counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import TicketOpened
from bot.services import faq, tickets
from bot.services.errors import AlreadyDone, InvalidInput
from storage.models import Ticket
from tests.conftest import make_context
from tests.services.helpers import new_customer

RULES = Path(__file__).resolve().parents[1] / "data" / "faq_rules.toml"


@pytest.fixture(name="shop")
def fixture_shop(database_url: str, clock: ManualClock) -> Iterator[AppContext]:
    context = make_context(database_url, clock, retention_config=RULES)
    yield context
    context.close()


def ask(
    ctx: AppContext, customer_id: int, text: str, event: str, language: str = "en"
) -> faq.FaqAnswered | None:
    return faq.answer_from_faq(
        ctx.uow(),
        ctx.clock,
        ctx.rules,
        customer_id=customer_id,
        text=text,
        language=language,
        source_event_id=event,
    )


def counts(ctx: AppContext) -> dict[str, tuple[int, int, int]]:
    return {
        c.entry.id: (c.answered, c.helped, c.asked_for_person)
        for c in faq.faq_counts(ctx.uow(), ctx.rules)
        if c.answered
    }


def test_a_question_is_answered_in_the_customers_language_alerts_nobody_and_counts_once(
    shop: AppContext,
) -> None:
    ann = new_customer(shop)
    assert ann.id is not None
    uow = shop.uow()
    answered = faq.answer_from_faq(
        uow,
        shop.clock,
        shop.rules,
        customer_id=ann.id,
        text="幾點關門？",
        language="zh-Hant",
        source_event_id="tg:1",
    )
    assert answered is not None and answered.fresh and answered.entry.id == "hours"
    assert answered.text == "營業時間：週一至週六 8:00–18:00，週日 9:00–15:00。"
    assert uow.committed_events == []  # the answer alone alerts nobody
    replay = ask(shop, ann.id, "幾點關門？", "tg:1", "zh-Hant")
    assert replay is not None and not replay.fresh and replay.reply_id == answered.reply_id
    assert counts(shop) == {"hours": (1, 0, 0)}
    assert [c.entry.id for c in faq.faq_counts(shop.uow(), shop.rules)][:3] == [
        "hours",
        "location",
        "parking",
    ]


def test_that_helps_counts_once(shop: AppContext) -> None:
    ann = new_customer(shop)
    assert ann.id is not None
    answered = ask(shop, ann.id, "do you have wifi?", "tg:1")
    assert answered is not None
    faq.faq_helped(shop.uow(), shop.clock, customer_id=ann.id, reply_id=answered.reply_id)
    with pytest.raises(AlreadyDone):
        faq.faq_helped(shop.uow(), shop.clock, customer_id=ann.id, reply_id=answered.reply_id)
    assert counts(shop) == {"wifi": (1, 1, 0)}


def test_talk_to_a_person_opens_one_conversation_with_the_question_even_after_that_helps(
    shop: AppContext,
) -> None:
    ann, bob = new_customer(shop, "C1"), new_customer(shop, "C2")
    assert ann.id is not None and bob.id is not None
    answered = ask(shop, ann.id, "can I park nearby?", "tg:1")
    assert answered is not None
    with pytest.raises(InvalidInput):  # someone else's answer
        faq.faq_wants_person(shop.uow(), shop.clock, customer_id=bob.id, reply_id=answered.reply_id)
    faq.faq_helped(shop.uow(), shop.clock, customer_id=ann.id, reply_id=answered.reply_id)
    uow = shop.uow()
    asked = faq.faq_wants_person(uow, shop.clock, customer_id=ann.id, reply_id=answered.reply_id)
    assert asked.opened
    assert uow.committed_events == [TicketOpened(customer_id=ann.id, ticket_id=asked.ticket_id)]
    ticket = tickets.get_ticket(shop.uow(), asked.ticket_id)
    assert (ticket.source, ticket.text, ticket.status) == ("faq", "can I park nearby?", "open")
    with pytest.raises(AlreadyDone):  # a double tap: still one conversation
        faq.faq_wants_person(shop.uow(), shop.clock, customer_id=ann.id, reply_id=answered.reply_id)
    with shop.uow() as check:
        assert len(check.session.exec(select(Ticket)).all()) == 1
    assert counts(shop) == {"parking": (1, 0, 1)}


def test_no_answer_while_a_conversation_is_open_or_for_a_complaint(shop: AppContext) -> None:
    ann = new_customer(shop)
    assert ann.id is not None
    assert (
        ask(shop, ann.id, "you were closed at 3pm even though your hours say 6, so annoying", "tg:1") is None
    )
    opened = tickets.receive_feedback(
        shop.uow(),
        shop.clock,
        customer_id=ann.id,
        text="My cake was stale, I want a refund",
        source_event_id="tg:2",
    )
    assert opened.ticket_opened
    assert ask(shop, ann.id, "what time do you close?", "tg:3") is None  # it joins the conversation instead
    assert counts(shop) == {}


def test_rules_without_faq_answer_nothing(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    assert ask(ctx, ann.id, "what time do you close?", "tg:1") is None
    assert faq.faq_counts(ctx.uow(), ctx.rules) == []
