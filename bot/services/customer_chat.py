"""A customer's chat with the bot: linking the chat to a customer by deep-link code or shared phone
number, and what the bot says back (the timeline). Claiming each update is in chat_updates.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, insert
from sqlmodel import col, select

from bot.clock import Clock
from bot.i18n import language_from_telegram, parse_language
from bot.services.contacts import adopt_contact, contact_of_chat, link_user_chat, promote_contact
from bot.services.customers import match_or_create_by_phone
from bot.services.errors import InvalidInput
from bot.services.interactions import MAX_TEXT
from bot.services.links import redeem_link_code
from bot.text.phone import InvalidPhoneNumber, normalize_telegram_contact
from storage import repositories as repo
from storage.models import Customer, Interaction
from storage.uow import UnitOfWork

PLATFORM = "telegram"
MAX_NAME = 200
INTERACTION_TABLE: Table = Interaction.__table__  # type: ignore[attr-defined]
"""Core inserts into the table skip the ORM's per-row work (this runs for every update)."""


@dataclass(frozen=True)
class ChatUser:
    """A chat user as the platform describes them (ids as strings, Telegram's language_code)."""

    user_id: str
    chat_id: str
    username: str | None = None
    language_code: str | None = None
    platform: str = PLATFORM
    name: str | None = None
    """The name the user shows in Telegram (first and last), kept for an unknown contact."""


@dataclass(frozen=True)
class InboundNote:
    """A message to put on the customer's timeline as the update is claimed."""

    kind: str
    text: str


@dataclass(frozen=True)
class OutboundNote:
    """Something the bot said to a customer."""

    customer_id: int
    text: str
    kind: str = "reply"
    bot_initiated: bool = False


@dataclass(frozen=True)
class ChatSession:
    """What every handler needs about the update's sender: their customer (if linked) and language."""

    update_key: str
    customer_id: int | None
    language: str
    contact_id: int | None = None
    """An unlinked chat that wrote before: its unknown contact (contacts.py). `customer_id` is None."""

    @property
    def source_event_id(self) -> str:
        return f"{PLATFORM}:{self.update_key}"

    @property
    def timeline_id(self) -> int | None:
        """Whose timeline what the bot says here goes on: the customer's, or the unknown contact's."""
        return self.customer_id if self.customer_id is not None else self.contact_id


@dataclass(frozen=True)
class Linked:
    customer_id: int
    language: str
    created: bool
    """A new customer (no one had this phone number)."""


def language_of(customer: Customer | None, language_code: str | None, default: str) -> str:
    """The customer's chosen language, else the one their Telegram app uses (SPEC §3), else the default."""
    chosen = parse_language(customer.language) if customer is not None else None
    return chosen or language_from_telegram(language_code, default)


def _adopt_language(customer: Customer, user: ChatUser, default_language: str) -> str:
    language = language_of(customer, user.language_code, default_language)
    if customer.language is None:
        customer.language = language
    return language


def link_by_code(
    uow: UnitOfWork, clock: Clock, *, user: ChatUser, code: str, default_language: str
) -> Linked:
    """`/start CODE`: bind the chat to the customer staff made the deep link for."""
    with uow:
        contact = contact_of_chat(uow, user.platform, user.user_id)
        customer = redeem_link_code(
            uow,
            clock,
            code=code,
            platform=user.platform,
            user_id=user.user_id,
            chat_id=user.chat_id,
            username=user.username,
            language_code=(user.language_code or "")[:16] or None,
        )
        assert customer.id is not None
        adopt_contact(uow, clock, contact=contact, customer=customer)
        customer = uow.session.get(Customer, customer.id) or customer
        assert customer.id is not None
        language = _adopt_language(customer, user, default_language)
        customer.unreachable = False
        uow.session.add(customer)
        return Linked(customer.id, language, created=False)


def link_by_contact(
    uow: UnitOfWork,
    clock: Clock,
    *,
    user: ChatUser,
    phone_number: str,
    name: str | None,
    default_language: str,
) -> Linked:
    """A shared contact: the one customer with this number (E.164), or a new customer."""
    try:
        phone = normalize_telegram_contact(phone_number)
    except InvalidPhoneNumber as exc:
        raise InvalidInput(exc.reason) from exc
    name = (name or "").strip()[:MAX_NAME] or None
    with uow:
        contact = contact_of_chat(uow, user.platform, user.user_id)
        if contact is not None and len(repo.customers_by_phone(uow.session, phone)) != 1:
            customer, created = promote_contact(uow, contact, phone=phone, name=name), True
            contact = None
        else:
            customer, created = match_or_create_by_phone(
                uow, clock, phone, name=name, external_id=f"tg-{user.user_id}"
            )
        link_user_chat(uow, clock, customer, user)
        assert customer.id is not None
        adopt_contact(uow, clock, contact=contact, customer=customer)
        customer = uow.session.get(Customer, customer.id) or customer
        assert customer.id is not None
        language = _adopt_language(customer, user, default_language)
        customer.unreachable = False
        uow.session.add(customer)
        return Linked(customer.id, language, created)


def log_outbound(uow: UnitOfWork, clock: Clock, notes: Sequence[OutboundNote]) -> int:
    """Put what the bot said on the customers' timelines, in one transaction and one INSERT."""
    if not notes:
        return 0
    now = clock.now()
    with uow:
        erased = set(
            uow.session.exec(
                select(Customer.id).where(
                    col(Customer.id).in_({note.customer_id for note in notes}),
                    col(Customer.erased_at).is_not(None),
                )
            ).all()
        )
    rows = [
        {
            "customer_id": note.customer_id,
            "channel": PLATFORM,
            "direction": "outbound",
            "kind": note.kind,
            "text": note.text[:MAX_TEXT],
            "bot_initiated": note.bot_initiated,
            "source_event_id": None,
            "created_at": now,
        }
        for note in notes
        if note.customer_id not in erased  # said just before an erasure: not put back on its timeline
    ]
    if not rows:
        return 0
    with uow:
        uow.session.execute(insert(INTERACTION_TABLE), rows)
        return len(rows)
