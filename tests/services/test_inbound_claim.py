"""The claim of an inbound update travels with its request and commits with the request's first
effect (storage/inbound_claim.py): nothing to read commits it, a second delivery that got there
later is rolled back whole, and a failed effect leaves the update unclaimed for its redelivery."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.services.customers import create_customer, search_customers
from bot.services.inbound import InboundClaim, InboundReplayed, carrying
from storage.models import Customer, ProcessedUpdate


def claims(ctx: AppContext) -> set[tuple[str, str]]:
    uow = ctx.uow()
    with uow:
        return {(row.platform, row.update_key) for row in uow.session.exec(select(ProcessedUpdate)).all()}


def customers(ctx: AppContext) -> list[str]:
    uow = ctx.uow()
    with uow:
        return sorted(c.external_id for c in uow.session.exec(select(Customer)).all())


def test_the_claim_commits_with_the_first_write_and_a_later_delivery_changes_nothing(
    ctx: AppContext, clock: ManualClock
) -> None:
    first = InboundClaim("telegram", "101", clock.now())
    with carrying(first):
        search_customers(ctx.uow(), "nobody", default_region="GB")  # a read: nothing claimed yet
        assert first.pending and claims(ctx) == set()
        create_customer(ctx.uow(), clock, external_id="ann")
        assert first.state == "claimed" and claims(ctx) == {("telegram", "101")}
        create_customer(ctx.uow(), clock, external_id="ann-2")  # the same request writes on
    assert customers(ctx) == ["ann", "ann-2"]

    # The same update delivered again while the first delivery ran (it found no claim at its gate).
    second = InboundClaim("telegram", "101", clock.now())
    with carrying(second), pytest.raises(InboundReplayed):
        create_customer(ctx.uow(), clock, external_id="ann-again")
    assert second.state == "replayed"
    assert customers(ctx) == ["ann", "ann-2"]


def test_a_failed_effect_leaves_the_update_unclaimed_and_work_without_a_claim_claims_nothing(
    ctx: AppContext, clock: ManualClock
) -> None:
    claim = InboundClaim("slack", "event:Ev1", clock.now())
    uow = ctx.uow()
    with carrying(claim), pytest.raises(RuntimeError), uow:
        create_customer(uow, clock, external_id="ann")
        raise RuntimeError("the process fails after writing")  # rolled back, claim and all
    assert claim.pending and claims(ctx) == set() and customers(ctx) == []
    create_customer(ctx.uow(), clock, external_id="bob")  # no update being handled: no claim
    assert claims(ctx) == set()
