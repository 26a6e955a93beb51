"""Conversations as the database keeps them (SPEC §8): one open per customer, also under a race and a
merge; the combined post claimed once and posted again after a crash; the pause's end; kind words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import ConversationsLinked
from bot.i18n import translator
from bot.services import conversations, tickets
from bot.services.digest import build_digest
from bot.services.merge import merge_customers
from handlers.slack.blocks.digest import digest_blocks
from storage.models import Customer, Ticket
from storage.schema import alembic_config, upgrade
from tests.services.helpers import new_customer
from tests.services.test_races import race_past_a_held_lock, row_locked


def says(ctx: AppContext, customer_id: int, text: str, event: str) -> tickets.FeedbackOutcome:
    return tickets.receive_feedback(
        ctx.uow(), ctx.clock, customer_id=customer_id, text=text, source_event_id=event
    )


def open_tickets(ctx: AppContext) -> list[Ticket]:
    with ctx.uow() as uow:
        return list(uow.session.exec(select(Ticket).where(Ticket.status == "open")).all())


def test_two_questions_at_the_same_moment_open_one_conversation(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    customer_id = ann.id
    outcomes = race_past_a_held_lock(
        ctx,
        row_locked(ctx, select(Customer).where(Customer.id == customer_id).with_for_update(key_share=True)),
        [
            lambda: says(ctx, customer_id, "do you open on sundays?", "tg:1"),
            lambda: says(ctx, customer_id, "can I change my order to pickup?", "tg:2"),
        ],
    )
    assert [t.customer_id for t in open_tickets(ctx)] == [customer_id]
    assert sorted(isinstance(o, tickets.FeedbackOutcome) and o.ticket_opened for o in outcomes) == [
        False,
        True,
    ]


def test_the_database_refuses_a_second_open_conversation_for_one_customer(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    says(ctx, ann.id or 0, "where is my parcel?", "tg:1")
    with pytest.raises(IntegrityError), ctx.uow() as uow:
        uow.session.add(
            Ticket(customer_id=ann.id or 0, source="staff", text="again", opened_at=ctx.clock.now())
        )
        uow.flush()
    tickets.resolve_ticket(ctx.uow(), ctx.clock, ticket_id=1, actor="slack:U1")
    with ctx.uow() as uow:  # a resolved one does not count
        uow.session.add(
            Ticket(customer_id=ann.id or 0, source="staff", text="new", opened_at=ctx.clock.now())
        )


def test_a_merge_keeps_one_open_conversation_and_says_where_the_other_continues(ctx: AppContext) -> None:
    ann, contact = new_customer(ctx, "C1"), new_customer(ctx, "tg-5")
    assert ann.id is not None and contact.id is not None
    kept = says(ctx, ann.id, "my order was wrong", "tg:1").ticket
    folded = says(ctx, contact.id, "is the shop open today?", "tg:2").ticket
    assert kept is not None and folded is not None
    uow = ctx.uow()
    merge_customers(uow, ctx.clock, keep_id=ann.id, duplicate_id=contact.id, actor="customer:telegram")
    assert uow.committed_events == [ConversationsLinked(ann.id, (), ((folded.id or 0, kept.id or 0),))]
    assert [t.id for t in open_tickets(ctx)] == [kept.id]
    closed = tickets.get_ticket(ctx.uow(), folded.id or 0)
    assert (closed.status, closed.resolved_by, closed.customer_id) == ("resolved", "merged", ann.id)


def test_a_combined_post_is_claimed_once_and_posted_again_if_its_poster_died(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    for n in range(8):  # one opens, four go one by one, three are held
        says(ctx, ann.id, f"hello? ({n})", f"tg:{n}")
        clock.advance(timedelta(seconds=1))
    assert conversations.due_held_batches(ctx.uow(), clock) == []
    clock.advance(timedelta(seconds=60))
    assert conversations.due_held_batches(ctx.uow(), clock) == [1]
    batch = conversations.claim_held_batch(ctx.uow(), clock, 1)
    assert batch is not None and [m.text for m in batch.messages] == [
        "hello? (5)",
        "hello? (6)",
        "hello? (7)",
    ]
    assert conversations.claim_held_batch(ctx.uow(), clock, 1) is None  # another process: not twice
    # The poster died before it could mark them sent: a minute later the post is due again.
    clock.advance(timedelta(seconds=61))
    again = conversations.claim_held_batch(ctx.uow(), clock, 1)
    assert again is not None and again.messages == batch.messages
    conversations.finish_held_batch(ctx.uow(), again)
    clock.advance(timedelta(seconds=61))
    assert conversations.due_held_batches(ctx.uow(), clock) == []


def test_relaying_paused_by_a_flood_resumes_after_an_hour(ctx: AppContext, clock: ManualClock) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    relays = []
    for n in range(32):  # four a minute: none is held for a combined post
        relays.append(says(ctx, ann.id, f"hello? ({n})", f"tg:{n}").relay)
        clock.advance(timedelta(seconds=15))
    assert relays[:2] == ["alert", "sent"] and relays[30:] == ["paused_now", "paused"]
    clock.advance(timedelta(minutes=58))  # 58.5 minutes after the pause (message 31 at 7.5 minutes)
    assert says(ctx, ann.id, "still there?", "tg:late").relay == "paused"
    clock.advance(timedelta(minutes=2))
    assert says(ctx, ann.id, "hello again", "tg:hour").relay == "sent"


def test_praise_is_kind_words_in_the_digest_and_opens_nothing(ctx: AppContext, clock: ManualClock) -> None:
    ann = new_customer(ctx, name="Ann Lee")
    outcome = says(ctx, ann.id or 0, "the egg tarts were amazing, thank you!", "tg:1")
    assert (outcome.kind, outcome.ticket) == ("praise", None)
    clock.advance(timedelta(hours=1))
    digest = build_digest(ctx.uow(), clock, ctx.rules, ctx.settings.tz, clock.now().date(), score=False)
    assert [said.text for said in digest.kind_words] == ["the egg tarts were amazing, thank you!"]
    rendered = str(digest_blocks(translator("en"), digest))
    assert "Kind words since the last digest* (1)" in rendered and "Ann Lee" in rendered


def test_the_migration_keeps_the_newest_of_several_open_tickets(ctx: AppContext) -> None:
    """Before 0005e a race could leave a customer two open tickets; the unique index needs one."""
    ann = new_customer(ctx)
    config = alembic_config(ctx.engine)
    with ctx.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004r")
    with ctx.engine.begin() as connection:
        for words in ("older", "newer"):
            connection.execute(
                text(
                    "INSERT INTO ticket (customer_id, status, source, text, opened_at) "
                    "VALUES (:customer, 'open', 'feedback', :words, '2026-03-01 10:00:00')"
                ),
                {"customer": ann.id, "words": words},
            )
    upgrade(ctx.engine)
    with ctx.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT text, status, resolved_by, kind FROM ticket ORDER BY id")
        ).all()
    assert [tuple(row) for row in rows] == [
        ("older", "resolved", "migration:0005e", "complaint"),
        ("newer", "open", None, "complaint"),
    ]
