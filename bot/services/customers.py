"""Finding, matching and creating customers; linking chat identities to them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from bot.clock import Clock
from bot.services.errors import AmbiguousCustomer, CustomerNotFound, InvalidInput
from bot.text.phone import InvalidPhoneNumber, normalize_phone
from storage import repositories as repo
from storage.models import ChatIdentity, Customer
from storage.uow import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONEISH = re.compile(r"^[+(\d][\d\s().-]{5,}$")


def follow_merges(uow: UnitOfWork, customer: Customer) -> Customer:
    """The customer a merged duplicate now lives in (merges can chain)."""
    seen: set[int] = set()
    while customer.merged_into_id is not None and customer.merged_into_id not in seen:
        seen.add(customer.merged_into_id)
        target = repo.customer_by_id(uow.session, customer.merged_into_id)
        if target is None:
            break
        customer = target
    return customer


def get_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    with uow:
        customer = repo.customer_by_id(uow.session, customer_id)
        if customer is None:
            raise CustomerNotFound(str(customer_id))
        return customer


def find_customer(uow: UnitOfWork, query: str, *, default_region: str) -> Customer:
    """One customer by their id, a phone number, an email, or a name that matches exactly one."""
    query = query.strip()
    if not query:
        raise CustomerNotFound(query)
    with uow:
        by_id = repo.customer_by_external_id(uow.session, query)
        if by_id is not None and by_id.erased_at is None:
            return follow_merges(uow, by_id)
        matches: Sequence[Customer] = ()
        if _PHONEISH.match(query):
            try:
                matches = repo.customers_by_phone(uow.session, normalize_phone(query, default_region))
            except InvalidPhoneNumber:
                matches = ()
        if not matches and _EMAIL.match(query):
            matches = [
                c
                for c in repo.customers_matching(uow.session, query)
                if (c.email or "").lower() == query.lower()
            ]
        if not matches:
            matches = repo.customers_by_exact_name(uow.session, query)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            # Detach the candidates first: the rollback that follows the raise would expire them,
            # and the caller (a pick list) reads their names after the unit of work has closed.
            for candidate in matches:
                uow.session.expunge(candidate)
            raise AmbiguousCustomer(query, matches)
        raise CustomerNotFound(query)


def search_customers(uow: UnitOfWork, query: str, *, default_region: str, limit: int = 10) -> list[Customer]:
    """Exact match first; otherwise everyone whose name, email, phone or id contains the text."""
    try:
        return [find_customer(uow, query, default_region=default_region)]
    except AmbiguousCustomer as many:
        return [c for c in many.candidates if isinstance(c, Customer)][:limit]
    except CustomerNotFound:
        with uow:
            return list(repo.customers_matching(uow.session, query.strip(), limit=limit))


def create_customer(
    uow: UnitOfWork,
    clock: Clock,
    *,
    external_id: str,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    birthday: date | None = None,
    language: str | None = None,
    tags: Sequence[str] = (),
) -> Customer:
    if not external_id.strip():
        raise InvalidInput("a customer id cannot be empty")
    now = clock.now()
    with uow:
        if repo.customer_by_external_id(uow.session, external_id) is not None:
            raise InvalidInput(f"customer id {external_id!r} is already taken")
        customer = Customer(
            external_id=external_id,
            name=name,
            phone=phone,
            email=email,
            birthday=birthday,
            birthday_set_at=now if birthday else None,
            language=language,
            tags=",".join(tags),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(customer)
        uow.flush()
        return customer


def customer_for_chat(uow: UnitOfWork, platform: str, user_id: str) -> Customer | None:
    """The customer behind a chat user, if the chat is linked."""
    with uow:
        identity = repo.identity_for_chat_user(uow.session, platform, user_id)
        if identity is None:
            return None
        customer = repo.customer_by_id(uow.session, identity.customer_id)
        return None if customer is None or customer.erased_at else follow_merges(uow, customer)


def link_chat(
    uow: UnitOfWork,
    clock: Clock,
    customer: Customer,
    *,
    platform: str,
    user_id: str,
    chat_id: str,
    username: str | None = None,
    language_code: str | None = None,
) -> ChatIdentity:
    """Bind a chat user to a customer; a chat user belongs to one customer at a time (re-linking moves it)."""
    assert customer.id is not None
    with uow:
        identity = repo.identity_for_chat_user(uow.session, platform, user_id)
        if identity is None:
            identity = ChatIdentity(
                customer_id=customer.id,
                platform=platform,
                user_id=user_id,
                chat_id=chat_id,
                created_at=clock.now(),
            )
        identity.customer_id = customer.id
        identity.chat_id = chat_id
        identity.username = username
        identity.language_code = language_code
        uow.session.add(identity)
        uow.flush()
        return identity


def match_or_create_by_phone(
    uow: UnitOfWork, clock: Clock, phone_e164: str, *, name: str | None, external_id: str
) -> tuple[Customer, bool]:
    """The one live customer with this phone, or a new one (second value: created?).

    With several live customers on one number (a family sharing a phone) none is guessed:
    a new customer is created and staff can merge later.
    """
    with uow:
        matches = repo.customers_by_phone(uow.session, phone_e164)
        if len(matches) == 1:
            return matches[0], False
        existing = repo.customer_by_external_id(uow.session, external_id)
        if existing is not None:
            return follow_merges(uow, existing), False
        return create_customer(uow, clock, external_id=external_id, name=name, phone=phone_e164), True
