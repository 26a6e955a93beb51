"""What a customer chose about being contacted: language, surveys and promotions (/stop), and whether
Telegram still lets the bot reach them (a 403 means they blocked it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.clock import Clock
from bot.i18n import parse_language
from bot.services.customer_chat import PLATFORM, language_of
from bot.services.customers import customer_for_chat, get_customer
from bot.services.errors import InvalidInput
from storage.models import ChatIdentity, Customer
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class ChatTarget:
    """Where and in which language to write to a customer, and whether they want or can get messages."""

    customer_id: int
    chat_id: str
    language: str
    allows_promotions: bool
    unreachable: bool


def chat_target(uow: UnitOfWork, customer_id: int, *, default_language: str) -> ChatTarget | None:
    """The customer's Telegram chat, or None if they never linked one (or were erased)."""
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.erased_at is not None:
            return None
        identity = uow.session.exec(
            select(ChatIdentity)
            .where(ChatIdentity.customer_id == customer_id, ChatIdentity.platform == PLATFORM)
            .order_by(ChatIdentity.id.desc())  # type: ignore[union-attr]
        ).first()
        if identity is None:
            return None
        return ChatTarget(
            customer_id=customer_id,
            chat_id=identity.chat_id,
            language=language_of(customer, identity.language_code, default_language),
            allows_promotions=customer.allows_promotions,
            unreachable=customer.unreachable,
        )


def set_language(uow: UnitOfWork, clock: Clock, *, customer_id: int, language: str) -> str:
    """/language: the customer's choice wins over what their Telegram app says from now on."""
    chosen = parse_language(language)
    if chosen is None:
        raise InvalidInput(f"unsupported language {language!r}")
    with uow:
        customer = get_customer(uow, customer_id)
        customer.language, customer.updated_at = chosen, clock.now()
        uow.session.add(customer)
        return chosen


def set_promotions(uow: UnitOfWork, clock: Clock, *, customer_id: int, allowed: bool) -> bool:
    """/stop (False) and /subscribe (True): surveys and promotions only; service replies continue."""
    with uow:
        customer = get_customer(uow, customer_id)
        changed = customer.allows_promotions != allowed
        customer.allows_promotions, customer.updated_at = allowed, clock.now()
        uow.session.add(customer)
        return changed


def mark_unreachable(uow: UnitOfWork, clock: Clock, *, customer_id: int) -> None:
    """Telegram answered 403 (blocked, or never started): send nothing more until they write again."""
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.unreachable:
            return
        customer.unreachable, customer.updated_at = True, clock.now()
        uow.session.add(customer)


def set_chat_reachable(
    uow: UnitOfWork, clock: Clock, *, user_id: str, reachable: bool, platform: str = PLATFORM
) -> int | None:
    """The user blocked (False) or restarted (True) the bot; returns their customer id, if linked."""
    with uow:
        customer = customer_for_chat(uow, platform, user_id)
        if customer is None:
            return None
        customer.unreachable, customer.updated_at = not reachable, clock.now()
        uow.session.add(customer)
        return customer.id
