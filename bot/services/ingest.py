"""Live purchases and refunds from a till or an online shop (the HTTP API, the shop webhooks).

Customers are matched by the business's customer id, then by phone (E.164, read the way the
import reads it), then by e-mail (case-insensitive), and created when nothing matches; a merged
duplicate resolves to the customer it was merged into. A purchase is recorded once per order id
(a repeat changes nothing and returns what the first one did); its points go to the customer
at once, and a customer linked in Telegram is told (a service notice, published as an event
when the unit of work commits). Imported history goes through bot/services/imports.py instead
and stays silent.

Concurrency: the order id and the customer's identifiers are held (storage.locks.hold_keys)
before anything is read, so two requests with one order id, or one new customer, wait for each
other instead of both inserting. Keys are named so that customer keys sort before order keys,
and every path takes them in that order.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.events import CustomerNotice, NoticeLine
from bot.importing.records import CustomerRecord
from bot.services.audit import record_audit
from bot.services.customers import follow_merges
from bot.services.errors import AlreadyDone, AmbiguousCustomer, InvalidInput, SuppressedCustomer
from bot.services.ledger import Balance, balance_at
from bot.services.loyalty import lock_customer
from bot.services.purchases import Refund, add_purchase, refund_order
from bot.services.suppression import is_suppressed
from bot.text.phone import InvalidPhoneNumber, normalize_phone
from storage import repositories as repo
from storage.locks import hold_keys
from storage.models import Customer, PointsEntry, Purchase
from storage.uow import UnitOfWork

PURCHASE_POINTS: Final = "purchase_points"
"""Interaction kind of the Telegram notice of a live purchase's points."""
MAX_AMOUNT: Final = Decimal("9999999999.99")
"""The largest amount a purchase column holds (12 digits, 2 after the point)."""


class OrderConflict(AlreadyDone):
    """The order id was recorded before with another customer or amount: nothing changed."""


@dataclass(frozen=True)
class CustomerRef:
    """Who bought: any of the business's customer id, a phone number, an e-mail address."""

    customer_id: str | None = None
    phone: str | None = None
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class _Sale:
    """What the till or the shop sent about one order (checked: see `_sale`)."""

    order_id: str
    amount: Decimal
    currency: str | None
    purchased_on: date | None
    quantity: int | None
    source: str
    actor: str


def _sale(
    order_id: str,
    amount: Decimal,
    currency: str | None,
    purchased_on: date | None,
    quantity: int | None,
    source: str,
    actor: str | None,
) -> _Sale:
    if not order_id.strip() or len(order_id) > 64:
        raise InvalidInput("an order id needs 1 to 64 characters")
    if amount < 0:
        raise InvalidInput("an amount cannot be negative (refunds go through the refunds route)")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"an amount can be at most {MAX_AMOUNT:,}")
    return _Sale(order_id, amount, currency, purchased_on, quantity, source, actor or source)


@dataclass(frozen=True)
class LivePurchase:
    customer: Customer
    purchase: Purchase
    points: int
    """Points this purchase earned."""
    balance: Balance
    """The customer's points right after this purchase (a replay returns the same)."""
    created: bool
    """False for a repeat of an order id seen before: nothing changed."""


@dataclass(frozen=True)
class LiveRefund:
    customer: Customer
    refund: Refund
    balance: Balance
    """The customer's points right after the refund."""


def _hold(
    uow: UnitOfWork,
    *,
    customer_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    order_id: str | None = None,
) -> None:
    """Hold the customer's identifiers and the order id until the unit of work ends
    (storage.locks.hold_keys). Customer keys ("c:…") sort before order keys ("o:…")."""
    keys = [f"c:id:{customer_id}"] if customer_id else []
    keys += [f"c:phone:{phone}"] if phone else []
    keys += [f"c:email:{email.lower()}"] if email else []
    keys += [f"o:{order_id}"] if order_id else []
    hold_keys(uow, *keys)


def _normal_phone(phone: str | None, default_region: str) -> str | None:
    if phone is None or not phone.strip():
        return None
    try:
        return normalize_phone(phone, default_region)
    except InvalidPhoneNumber as exc:
        raise InvalidInput(str(exc)) from exc


def match_customer(
    uow: UnitOfWork,
    *,
    customer_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    default_region: str = "US",
) -> Customer | None:
    """The live customer these identifiers name (id, then phone, then e-mail), or None.

    Several live customers on one phone are narrowed by the e-mail; if that does not settle it,
    AmbiguousCustomer (nobody is guessed).
    """
    e164 = _normal_phone(phone, default_region)
    with uow:
        if customer_id:
            by_id = repo.customer_by_external_id(uow.session, customer_id)
            if by_id is not None and by_id.erased_at is None:
                survivor = follow_merges(uow, by_id)
                if survivor.erased_at is None:
                    return survivor
        if e164:
            on_phone = list(repo.customers_by_phone(uow.session, e164))
            if len(on_phone) > 1 and email:
                on_phone = [c for c in on_phone if (c.email or "").lower() == email.lower()] or on_phone
            if len(on_phone) == 1:
                return on_phone[0]
            if len(on_phone) > 1:
                raise AmbiguousCustomer(phone or e164, on_phone)
        if email:
            by_email = uow.session.exec(
                select(Customer).where(func.lower(Customer.email) == email.lower(), repo.live_customers())
            ).all()
            if len(by_email) == 1:
                return by_email[0]
            if len(by_email) > 1:
                raise AmbiguousCustomer(email, by_email)
        return None


def find_or_create_customer(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    name: str | None = None,
    default_region: str = "US",
    source: str = "api",
    actor: str | None = None,
) -> Customer:
    """The customer these identifiers name, or a new one (see the module docstring for the order).

    A matched customer gets the phone, e-mail or name it lacked (never overwritten). A new one
    takes `customer_id` as its id, or `<source>-<random>` without one.
    """
    if not (customer_id or (phone and phone.strip()) or email):
        raise InvalidInput("a customer needs a customer_id, a phone or an email")
    e164 = _normal_phone(phone, default_region)
    email = email.strip() if email else None
    now = clock.now()
    with uow:
        _hold(uow, customer_id=customer_id, phone=e164, email=email)
        customer = match_customer(
            uow, customer_id=customer_id, phone=e164, email=email, default_region=default_region
        )
        if customer is not None:
            filled = {
                k: v
                for k, v in (("phone", e164), ("email", email), ("name", name))
                if v and not getattr(customer, k)
            }
            if filled:
                for key, value in filled.items():
                    setattr(customer, key, value)
                customer.updated_at = now
                uow.session.add(customer)
            return customer
        return _new_customer(
            uow,
            external_id=customer_id or f"{source}-{secrets.token_hex(6)}",
            phone=e164,
            email=email,
            name=name,
            now=now,
            actor=actor or source,
        )


def _new_customer(
    uow: UnitOfWork,
    *,
    external_id: str,
    phone: str | None,
    email: str | None,
    name: str | None,
    now: datetime,
    actor: str,
) -> Customer:
    """The one place a live purchase or refund brings a new person into the database; an erased
    person's id, phone or e-mail (the suppression list) is refused."""
    if is_suppressed(uow.session, customer_id=external_id, phone=phone, email=email):
        raise SuppressedCustomer
    if repo.customer_by_external_id(uow.session, external_id) is not None:
        # An erased customer's id is renamed, so this is a merged duplicate whose survivor is gone.
        raise InvalidInput(f"customer id {external_id!r} is taken by a record that cannot take purchases")
    customer = Customer(
        external_id=external_id, phone=phone, email=email, name=name, created_at=now, updated_at=now
    )
    uow.session.add(customer)
    uow.flush()
    record_audit(uow, actor=actor, action="customer.create", at=now, customer_id=customer.id)
    return customer


def record_live_purchase(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    *,
    customer: Customer,
    order_id: str,
    amount: Decimal,
    currency: str | None = None,
    purchased_on: date | None = None,
    quantity: int | None = None,
    source: str,
    actor: str | None = None,
) -> LivePurchase:
    """Record the purchase once per order id, credit its points and tell a linked customer.

    A repeat of the order id with the same customer and amount returns the first result
    (`created` False, the same points and balance); with another customer or amount it raises
    OrderConflict. Nothing changes either way.
    """
    sale = _sale(order_id, amount, currency, purchased_on, quantity, source, actor)
    with uow:
        _hold(uow, order_id=sale.order_id)
        customer = follow_merges(uow, customer)
        existing = repo.purchase_by_order_id(uow.session, sale.order_id)
        if existing is not None:
            return _replay(uow, clock, existing, customer, sale)
        return _record_new(uow, clock, rules, tz, customer, sale)


def _record_new(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo, customer: Customer, sale: _Sale
) -> LivePurchase:
    """A purchase of an order id not recorded yet (the caller holds the order's key and checked).
    The customer's ledger is read once, under its lock: for the tier and for the balance after."""
    with uow:
        assert customer.id is not None
        lock_customer(uow, customer.id)
        ledger = list(repo.ledger_of(uow.session, customer.id))
        recorded = add_purchase(
            uow,
            clock,
            rules,
            tz,
            customer_id=customer.id,
            amount=sale.amount,
            purchased_on=sale.purchased_on,
            order_id=sale.order_id,
            currency=sale.currency,
            quantity=sale.quantity,
            source=sale.source,
            actor=sale.actor,
            ledger=ledger,
        )
        purchase, earned = recorded.purchase, recorded.earned
        record_audit(
            uow,
            actor=sale.actor,
            action="purchase.record",
            at=purchase.created_at,
            customer_id=customer.id,
            order_id=sale.order_id,
            amount=str(sale.amount),
            points=recorded.points,
        )
        if earned is not None and all(e is not earned for e in ledger):
            ledger.append(earned)
        balance = _balance_after(ledger, purchase, earned)
        if earned is not None:
            uow.emit(_points_notice(customer.id, purchase, earned, balance, tz))
        return LivePurchase(customer, purchase, recorded.points, balance, created=True)


def record_live_purchase_for(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    *,
    who: CustomerRef,
    order_id: str,
    amount: Decimal,
    currency: str | None = None,
    purchased_on: date | None = None,
    quantity: int | None = None,
    default_region: str = "US",
    source: str,
    actor: str | None = None,
) -> LivePurchase:
    """`record_live_purchase` for a customer given by identifiers: a repeat of an order id is
    answered before any customer is matched or created."""
    sale = _sale(order_id, amount, currency, purchased_on, quantity, source, actor)
    e164 = _normal_phone(who.phone, default_region)
    with uow:
        _hold(uow, customer_id=who.customer_id, phone=e164, email=who.email, order_id=sale.order_id)
        existing = repo.purchase_by_order_id(uow.session, sale.order_id)
        if existing is not None:
            named = match_customer(
                uow, customer_id=who.customer_id, phone=e164, email=who.email, default_region=default_region
            )
            if named is None:
                raise OrderConflict(f"order {order_id} was recorded for another customer; nothing changed")
            return _replay(uow, clock, existing, named, sale)
        customer = find_or_create_customer(
            uow,
            clock,
            customer_id=who.customer_id,
            phone=e164,
            email=who.email,
            name=who.name,
            default_region=default_region,
            source=source,
            actor=actor,
        )
        return _record_new(uow, clock, rules, tz, customer, sale)


def record_live_refund(
    uow: UnitOfWork,
    clock: Clock,
    *,
    order_id: str,
    amount: Decimal | None = None,
    refund_key: str | None = None,
    source: str,
    actor: str | None = None,
) -> LiveRefund:
    """Refund the order (all of what is left, or `amount` of it) and take back points in
    proportion; once per `refund_key` (a repeat returns the first refund, `created` False)."""
    with uow:
        refund = refund_order(
            uow,
            clock,
            order_id=order_id,
            amount=amount,
            refund_key=refund_key,
            source=source,
            actor=actor or source,
        )
        customer = repo.customer_by_id(uow.session, refund.purchase.customer_id)
        assert customer is not None
        balance = balance_at(repo.ledger_of(uow.session, refund.purchase.customer_id), clock.now())
        return LiveRefund(follow_merges(uow, customer), refund, balance)


def _replay(
    uow: UnitOfWork, clock: Clock, existing: Purchase, customer: Customer, sale: _Sale
) -> LivePurchase:
    """The first answer for a repeated order id (the repeat itself is audited, nothing else is written)."""
    owner = repo.customer_by_id(uow.session, existing.customer_id)
    assert owner is not None
    owner = follow_merges(uow, owner)
    if owner.id != follow_merges(uow, customer).id or existing.amount != sale.amount:
        raise OrderConflict(
            f"order {existing.order_id} was recorded before with another customer or amount; nothing changed"
        )
    balance, earned = _after(uow, existing)
    record_audit(
        uow,
        actor=sale.actor,
        action="purchase.repeat",
        at=clock.now(),
        customer_id=owner.id,
        order_id=existing.order_id,
    )
    return LivePurchase(owner, existing, earned.delta if earned else 0, balance, created=False)


def _after(uow: UnitOfWork, purchase: Purchase) -> tuple[Balance, PointsEntry | None]:
    """The owner's points as they stood right after the purchase was recorded (so a repeat answers
    the same), and the purchase's own points entry."""
    ledger = repo.ledger_of(uow.session, purchase.customer_id)
    earned = next((e for e in ledger if e.purchase_id == purchase.id and e.kind == "earn"), None)
    return _balance_after(ledger, purchase, earned), earned


def _balance_after(ledger: Sequence[PointsEntry], purchase: Purchase, earned: PointsEntry | None) -> Balance:
    """The balance in `ledger` (one customer's entries) right after the purchase: up to its entry
    `earned` (one customer's entries are written under its lock, so ids follow that order); for a
    purchase that earned nothing, up to its time."""
    if earned is None:
        return balance_at([e for e in ledger if e.created_at <= purchase.created_at], purchase.created_at)
    assert earned.id is not None
    return balance_at([e for e in ledger if e.id is not None and e.id <= earned.id], earned.created_at)


def _points_notice(
    customer_id: int, purchase: Purchase, earned: PointsEntry, balance: Balance, tz: ZoneInfo
) -> CustomerNotice:
    today = purchase.created_at.astimezone(tz).date()
    points = earned.delta
    values: tuple[tuple[str, object], ...] = (("points", points), ("balance", balance.spendable))
    lines = [
        NoticeLine("points.live_purchase", values, n=points)
        if purchase.purchased_on == today
        else NoticeLine("points.live_purchase_on", (*values, ("date", purchase.purchased_on)), n=points)
    ]
    if earned.available_at > earned.created_at:
        lines.append(
            NoticeLine(
                "points.live_pending", (("date", earned.available_at.astimezone(tz).date()),), n=points
            )
        )
    return CustomerNotice(
        customer_id=customer_id,
        key=f"purchase-points:{purchase.order_id}",
        kind=PURCHASE_POINTS,
        lines=tuple(lines),
        promotional=False,
        receipt=True,
    )


def put_customer(
    uow: UnitOfWork, clock: Clock, record: CustomerRecord, *, actor: str
) -> tuple[Customer, bool]:
    """Create the customer or fill in what the record gives, as the import does (an empty field
    leaves the stored value alone); a merged id updates the customer it was merged into. Second
    value: created?"""
    now = clock.now()
    with uow:
        _hold(uow, customer_id=record.customer_id)
        found = repo.customer_by_external_id(uow.session, record.customer_id)
        if found is None:
            customer = _new_customer(
                uow,
                external_id=record.customer_id,
                phone=record.phone,
                email=record.email,
                name=record.name,
                now=now,
                actor=actor,
            )
            created = True
        else:
            customer, created = follow_merges(uow, found), False
        values: dict[str, object] = {
            "name": record.name,
            "phone": record.phone,
            "email": record.email,
            "birthday": record.birthday,
            "language": record.language,
            "tags": ",".join(record.tags) if record.tags else None,
        }
        changes = {k: v for k, v in values.items() if v is not None and getattr(customer, k) != v}
        if changes:
            if "birthday" in changes:
                customer.birthday_set_at = now
            for key, value in changes.items():
                setattr(customer, key, value)
            customer.updated_at = now
            uow.session.add(customer)
        if not created:
            record_audit(
                uow,
                actor=actor,
                action="customer.update",
                at=now,
                customer_id=customer.id,
                fields=sorted(changes),
            )
        uow.flush()
        return customer, created
