"""Finding customers the way staff type them, merging duplicates, exporting and forgetting."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from bot.context import AppContext
from bot.services import customers
from bot.services.errors import AmbiguousCustomer, CustomerNotFound, InvalidInput
from bot.services.interactions import log_interaction, recent_interactions
from bot.services.loyalty import current_balance
from bot.services.merge import merge_customers
from bot.services.privacy import export_customer, forget_customer
from storage.models import RiskSnapshot
from tests.services.helpers import buy, new_customer


def find(ctx: AppContext, query: str) -> str:
    return customers.find_customer(ctx.uow(), query, default_region="US").external_id


def test_customer_is_found_by_id_phone_in_any_format_email_or_unique_name(ctx: AppContext) -> None:
    new_customer(ctx, "C-17", name="Ann Lee", phone="+14152345678", email="ann@example.com")
    new_customer(ctx, "C-18", name="Bob Lee", phone="+14152345679")
    assert find(ctx, "C-17") == "C-17"
    assert find(ctx, "(415) 234-5678") == "C-17"
    assert find(ctx, "+1 415 234 5679") == "C-18"
    assert find(ctx, "ANN@example.com") == "C-17"
    assert find(ctx, "ann lee") == "C-17"
    with pytest.raises(CustomerNotFound):
        find(ctx, "Carol")


def test_a_name_shared_by_two_customers_asks_to_pick(ctx: AppContext) -> None:
    new_customer(ctx, "A", name="Wang Wei")
    new_customer(ctx, "B", name="Wang Wei")
    with pytest.raises(AmbiguousCustomer) as many:
        find(ctx, "Wang Wei")
    assert len(many.value.candidates) == 2
    picks = customers.search_customers(ctx.uow(), "wang", default_region="US")
    assert {c.external_id for c in picks} == {"A", "B"}
    exact = customers.search_customers(ctx.uow(), "Wang Wei", default_region="US")
    assert sorted((c.external_id, c.name) for c in exact) == [("A", "Wang Wei"), ("B", "Wang Wei")]


def test_search_treats_sql_fragments_and_wildcards_as_text(ctx: AppContext) -> None:
    new_customer(ctx, "A", name="100% Real")
    new_customer(ctx, "B", name="Robert'); DROP TABLE customer;--")
    assert [c.external_id for c in customers.search_customers(ctx.uow(), "%", default_region="US")] == ["A"]
    assert find(ctx, "Robert'); DROP TABLE customer;--") == "B"


def test_merge_moves_identities_history_and_points_to_the_kept_customer(ctx: AppContext) -> None:
    imported = new_customer(ctx, "SHOP-1", name="Ann Lee")
    from_telegram = new_customer(ctx, "tg-42", phone="+14152345678")
    customers.link_chat(ctx.uow(), ctx.clock, from_telegram, platform="telegram", user_id="42", chat_id="42")
    buy(ctx, imported, "100")
    buy(ctx, from_telegram, "30")
    assert from_telegram.id is not None and imported.id is not None
    log_interaction(
        ctx.uow(),
        ctx.clock,
        customer_id=from_telegram.id,
        channel="telegram",
        direction="inbound",
        kind="feedback",
        text="love it",
    )
    result = merge_customers(
        ctx.uow(), ctx.clock, keep_id=imported.id, duplicate_id=from_telegram.id, actor="slack:U1"
    )
    assert result.kept.phone == "+14152345678" and result.kept.name == "Ann Lee"
    assert current_balance(ctx.uow(), ctx.clock, imported.id).spendable == 130
    linked = customers.customer_for_chat(ctx.uow(), "telegram", "42")
    assert linked is not None and linked.id == imported.id
    assert [i.text for i in recent_interactions(ctx.uow(), imported.id)] == ["love it"]
    assert find(ctx, "tg-42") == "SHOP-1"  # the old id still leads to the merged customer
    with pytest.raises(InvalidInput):
        merge_customers(ctx.uow(), ctx.clock, keep_id=imported.id, duplicate_id=from_telegram.id, actor="x")


def test_merge_succeeds_when_both_customers_were_scored_the_same_day(ctx: AppContext) -> None:
    keep = new_customer(ctx, "K")
    dup = new_customer(ctx, "D")
    uow = ctx.uow()
    with uow:
        for customer in (keep, dup):
            assert customer.id is not None
            uow.session.add(
                RiskSnapshot(
                    customer_id=customer.id,
                    as_of=ctx.clock.now().date(),
                    frequency=1,
                    recency_weeks=1.0,
                    age_weeks=2.0,
                )
            )
    assert keep.id is not None and dup.id is not None
    merge_customers(ctx.uow(), ctx.clock, keep_id=keep.id, duplicate_id=dup.id, actor="slack:U1")
    uow = ctx.uow()
    with uow:
        owners = [s.customer_id for s in uow.session.exec(select(RiskSnapshot)).all()]
    assert owners == [keep.id]


def test_forget_erases_personal_data_but_keeps_anonymous_purchases(ctx: AppContext) -> None:
    ann = new_customer(ctx, "C-1", name="Ann Lee", phone="+14152345678", email="ann@example.com")
    assert ann.id is not None
    customers.link_chat(ctx.uow(), ctx.clock, ann, platform="telegram", user_id="42", chat_id="42")
    buy(ctx, ann, "75")
    log_interaction(
        ctx.uow(),
        ctx.clock,
        customer_id=ann.id,
        channel="telegram",
        direction="inbound",
        kind="feedback",
        text="my address is 1 Main St",
    )
    before = export_customer(ctx.uow(), ctx.clock, ann.id)
    assert before["customer"]["name"] == "Ann Lee" and before["points"]["balance"] == 75
    forget_customer(ctx.uow(), ctx.clock, customer_id=ann.id, actor="cli")
    after = export_customer(ctx.uow(), ctx.clock, ann.id)
    assert after["customer"]["name"] is None and after["customer"]["phone"] is None
    assert after["identities"] == [] and after["interactions"][0]["text"] == ""
    assert after["purchases"][0]["amount"] == "75.00"
    assert customers.customer_for_chat(ctx.uow(), "telegram", "42") is None
    with pytest.raises(CustomerNotFound):
        find(ctx, "C-1")


def test_interactions_are_logged_once_per_source_event_with_a_sentiment(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    first, created = log_interaction(
        ctx.uow(),
        ctx.clock,
        customer_id=ann.id,
        channel="telegram",
        direction="inbound",
        kind="feedback",
        text="The delivery was terrible",
        source_event_id="tg:100",
    )
    again, created_again = log_interaction(
        ctx.uow(),
        ctx.clock,
        customer_id=ann.id,
        channel="telegram",
        direction="inbound",
        kind="feedback",
        text="The delivery was terrible",
        source_event_id="tg:100",
    )
    assert created and not created_again and first.id == again.id
    assert first.sentiment is not None and first.sentiment < 0 and first.sentiment_method == "textblob"
    chinese, _ = log_interaction(
        ctx.uow(),
        ctx.clock,
        customer_id=ann.id,
        channel="telegram",
        direction="inbound",
        kind="feedback",
        text="服务太差了，再也不来了",
    )
    assert chinese.sentiment is not None and chinese.sentiment < 0 and chinese.sentiment_method == "snownlp"


def test_models_and_migrations_agree(ctx: AppContext) -> None:
    with ctx.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
