"""Races found in review, made deterministic: a third connection holds the row the contenders need,
both contenders get as far as that lock, then it is let go and they run into each other.

On PostgreSQL the test waits until both really wait on a lock (pg_stat_activity); on SQLite the
holder's BEGIN IMMEDIATE stops both before they read anything, so there the same invariant is
checked against SQLite's global writer lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import pytest
from sqlalchemy import Select, text
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.services.errors import AlreadyDone, DomainError, InvalidInput
from bot.services.links import create_link_code, redeem_link_code
from bot.services.loyalty import current_balance
from bot.services.merge import merge_customers
from bot.services.purchases import Refund, refund_purchase
from storage.models import AuditLog, ChatIdentity, Customer, LinkCode, PointsEntry
from tests.conftest import make_context
from tests.services.helpers import buy, new_customer

T = TypeVar("T")
WAIT_FOR_WAITERS = 10.0


def _waiting_on_locks(ctx: AppContext) -> int:
    with ctx.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
        )


def _wait_until_blocked(ctx: AppContext, waiters: int) -> None:
    if ctx.engine.dialect.name != "postgresql":
        time.sleep(0.5)  # SQLite shows no lock waits; the holder's write lock stops them anyway
        return
    deadline = time.monotonic() + WAIT_FOR_WAITERS
    while _waiting_on_locks(ctx) < waiters:
        if time.monotonic() > deadline:
            raise AssertionError(f"{waiters} contenders never waited on the held lock")
        time.sleep(0.01)


def _outcome(call: Callable[[], T]) -> T | DomainError:
    try:
        return call()
    except DomainError as exc:
        return exc


@contextmanager
def row_locked(ctx: AppContext, row: Select[Any]) -> Iterator[None]:
    """`row` locked (its FOR UPDATE) by a transaction of its own, committed on leaving."""
    with ctx.engine.connect() as holder, holder.begin():
        holder.execute(row)
        yield


def race_past_a_held_lock(
    ctx: AppContext, holding: AbstractContextManager[object], contenders: Sequence[Callable[[], T]]
) -> list[T | DomainError]:
    """Inside `holding` (a transaction that holds a lock), start the contenders and wait until each
    waits on that lock; then let `holding` commit, and return what each contender got."""
    with ThreadPoolExecutor(max_workers=len(contenders)) as pool:
        with holding:
            futures = [pool.submit(_outcome, call) for call in contenders]
            _wait_until_blocked(ctx, len(contenders))
        return [future.result(timeout=30) for future in futures]


@pytest.fixture
def race_ctx(database_url: str, clock: ManualClock) -> Any:
    context = make_context(database_url, clock)
    yield context
    context.close()


def test_two_refunds_of_one_order_at_the_same_moment_refund_it_once(race_ctx: AppContext) -> None:
    ctx = race_ctx
    ann = new_customer(ctx)
    buy(ctx, ann, "150", order_id="race-order")
    assert ann.id is not None

    def refund(staff: str) -> Callable[[], Refund]:
        return lambda: refund_purchase(ctx.uow(), ctx.clock, order_id="race-order", actor=f"slack:{staff}")

    outcomes = race_past_a_held_lock(
        ctx,
        row_locked(ctx, select(Customer).where(Customer.id == ann.id).with_for_update(key_share=True)),
        [refund("U1"), refund("U2")],
    )

    refunds = [o for o in outcomes if isinstance(o, Refund)]
    assert len(refunds) == 1, outcomes
    assert sum(isinstance(o, AlreadyDone) for o in outcomes) == 1, outcomes
    assert refunds[0].points_reversed == 150
    uow = ctx.uow()
    with uow:
        audits = uow.session.exec(select(AuditLog).where(AuditLog.action == "purchase.refund")).all()
        reversals = uow.session.exec(select(PointsEntry).where(PointsEntry.kind == "refund")).all()
    assert len(audits) == 1 and len(reversals) == 1
    balance = current_balance(ctx.uow(), ctx.clock, ann.id)
    assert (balance.spendable, balance.pending) == (0, 0)


@contextmanager
def merging(ctx: AppContext, *, keep_id: int, duplicate_id: int) -> Iterator[None]:
    """A merge of the two customers, done but not committed until the block is left."""
    uow = ctx.uow()
    with uow:
        merge_customers(uow, ctx.clock, keep_id=keep_id, duplicate_id=duplicate_id, actor="slack:U9")
        yield


def test_a_refund_that_waited_for_a_merge_takes_the_points_from_the_customer_who_has_them_now(
    race_ctx: AppContext,
) -> None:
    ctx = race_ctx
    keep, duplicate = new_customer(ctx, "KEEP"), new_customer(ctx, "DUP")
    buy(ctx, duplicate, "80", order_id="dup-order")
    assert keep.id is not None and duplicate.id is not None

    [outcome] = race_past_a_held_lock(
        ctx,
        merging(ctx, keep_id=keep.id, duplicate_id=duplicate.id),
        [lambda: refund_purchase(ctx.uow(), ctx.clock, order_id="dup-order", actor="slack:U1")],
    )

    assert isinstance(outcome, Refund), outcome
    assert (outcome.purchase.customer_id, outcome.points_reversed) == (keep.id, 80)
    uow = ctx.uow()
    with uow:
        [reversal] = uow.session.exec(select(PointsEntry).where(PointsEntry.kind == "refund")).all()
    assert reversal.customer_id == keep.id
    assert current_balance(ctx.uow(), ctx.clock, keep.id).pending == 0


def test_two_chats_redeeming_one_link_code_at_the_same_moment_bind_only_one(race_ctx: AppContext) -> None:
    ctx = race_ctx
    ann = new_customer(ctx, "SHOP-1")
    assert ann.id is not None
    code = create_link_code(ctx.uow(), ctx.clock, customer_id=ann.id, actor="slack:U1").code

    def redeem(chat: str) -> Callable[[], Customer]:
        return lambda: redeem_link_code(
            ctx.uow(), ctx.clock, code=code, platform="telegram", user_id=chat, chat_id=chat
        )

    held = row_locked(ctx, select(LinkCode).where(LinkCode.code == code).with_for_update())
    outcomes = race_past_a_held_lock(ctx, held, [redeem("501"), redeem("502")])

    assert sum(isinstance(o, Customer) for o in outcomes) == 1, outcomes
    refusals = [o for o in outcomes if isinstance(o, InvalidInput)]
    assert len(refusals) == 1 and "already used" in str(refusals[0]), outcomes
    uow = ctx.uow()
    with uow:
        chats = uow.session.exec(select(ChatIdentity).where(col(ChatIdentity.customer_id) == ann.id)).all()
    assert len(chats) == 1


def test_one_chat_tapping_its_link_twice_at_the_same_moment_is_bound_once(race_ctx: AppContext) -> None:
    ctx = race_ctx
    ann = new_customer(ctx, "SHOP-2")
    assert ann.id is not None
    code = create_link_code(ctx.uow(), ctx.clock, customer_id=ann.id, actor="slack:U1").code

    def redeem() -> Customer:
        return redeem_link_code(
            ctx.uow(), ctx.clock, code=code, platform="telegram", user_id="77", chat_id="77"
        )

    held = row_locked(ctx, select(LinkCode).where(LinkCode.code == code).with_for_update())
    outcomes = race_past_a_held_lock(ctx, held, [redeem, redeem])

    assert [o.id if isinstance(o, Customer) else o for o in outcomes] == [ann.id, ann.id]
    uow = ctx.uow()
    with uow:
        chats = uow.session.exec(select(ChatIdentity).where(col(ChatIdentity.customer_id) == ann.id)).all()
    assert [c.user_id for c in chats] == ["77"]
