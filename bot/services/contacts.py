"""Unknown contacts (SPEC §8): a Telegram chat not linked to a customer yet is heard anyway.

Its first message makes an unknown contact: a `Customer` row with `unknown_contact` set, the
Telegram name as its name, and the chat linked to it, so its messages, conversations and staff
replies work as any customer's. It is no customer of the shop's: surveys, promotions, the
at-risk list and the menus for linked customers leave it out, and the chat is still asked to
share its phone number. Linking the chat (a shared phone, a staff deep link) turns the contact into
the new customer, or merges it into the customer it links to, conversations and messages with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.services.customers import follow_merges, link_chat
from bot.services.merge import merge_customers
from storage import repositories as repo
from storage.models import Customer
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.services.customer_chat import ChatUser

MAX_NAME = 200
LINKED_BY = "customer:telegram"
"""The audit actor of a merge that linking a chat makes."""


def contact_of_chat(uow: UnitOfWork, platform: str, user_id: str) -> Customer | None:
    """The unknown contact this chat user writes as, if any."""
    with uow:
        identity = repo.identity_for_chat_user(uow.session, platform, user_id)
        if identity is None:
            return None
        customer = repo.customer_by_id(uow.session, identity.customer_id)
        if customer is None or not customer.unknown_contact or customer.erased_at is not None:
            return None
        return customer


def hear_contact(uow: UnitOfWork, clock: Clock, *, user: ChatUser) -> tuple[int, bool]:
    """The customer id the chat's message goes to: its unknown contact (made on its first message,
    with the Telegram name and username kept up to date), or its customer if it was linked since.
    Second value: an unknown contact?"""
    with uow:
        identity = repo.identity_for_chat_user(uow.session, user.platform, user.user_id)
        if identity is not None:
            customer = repo.customer_by_id(uow.session, identity.customer_id)
            if customer is not None and customer.erased_at is None:
                customer = follow_merges(uow, customer)
                if customer.unknown_contact and user.name:
                    customer.name = user.name[:MAX_NAME]
                    uow.session.add(customer)
                link_user_chat(uow, clock, customer, user)
                assert customer.id is not None
                return customer.id, customer.unknown_contact
        try:
            with uow.session.begin_nested():  # another process may make it at the same moment
                contact = _new_contact(uow, clock, user)
        except IntegrityError:
            return hear_contact(uow, clock, user=user)
        assert contact.id is not None
        return contact.id, True


def _new_contact(uow: UnitOfWork, clock: Clock, user: ChatUser) -> Customer:
    now = clock.now()
    base = f"tg-{user.user_id}" if user.platform == "telegram" else f"{user.platform}-{user.user_id}"
    external_id, n = base, 1
    while repo.customer_by_external_id(uow.session, external_id) is not None:
        n += 1
        external_id = f"{base}-{n}"
    contact = Customer(
        external_id=external_id,
        name=(user.name or "").strip()[:MAX_NAME] or None,
        unknown_contact=True,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(contact)
    uow.flush()
    link_user_chat(uow, clock, contact, user)
    return contact


def link_user_chat(uow: UnitOfWork, clock: Clock, customer: Customer, user: ChatUser) -> None:
    """Link `user`'s chat to `customer` (its language code cut to the column's 16 characters)."""
    link_chat(
        uow,
        clock,
        customer,
        platform=user.platform,
        user_id=user.user_id,
        chat_id=user.chat_id,
        username=user.username,
        language_code=(user.language_code or "")[:16] or None,
    )


def adopt_contact(uow: UnitOfWork, clock: Clock, *, contact: Customer | None, customer: Customer) -> None:
    """The chat is now linked to `customer`: its unknown contact's conversations and messages move
    there (a merge; the contact stays as a pointer, as any merged duplicate)."""
    if contact is None or contact.id is None or contact.id == customer.id:
        return
    assert customer.id is not None
    merge_customers(uow, clock, keep_id=customer.id, duplicate_id=contact.id, actor=LINKED_BY)


def promote_contact(uow: UnitOfWork, contact: Customer, *, phone: str, name: str | None) -> Customer:
    """The contact shared a phone number nobody has: it becomes the shop's new customer."""
    with uow:
        contact.unknown_contact = False
        contact.phone = phone
        if name:
            contact.name = name[:MAX_NAME]
        uow.session.add(contact)
        uow.flush()
        return contact
