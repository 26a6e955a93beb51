"""Deep-link codes: staff hand a customer `t.me/<bot>?start=CODE`, which binds their chat to them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from bot.clock import Clock
from bot.services.audit import record_audit
from bot.services.customers import follow_merges, link_chat
from bot.services.errors import InvalidInput
from storage import repositories as repo
from storage.models import Customer, LinkCode
from storage.uow import UnitOfWork

VALID_FOR = timedelta(days=30)


def create_link_code(uow: UnitOfWork, clock: Clock, *, customer_id: int, actor: str) -> LinkCode:
    """A fresh one-time code (Telegram allows A-Z a-z 0-9 _ - in a start parameter, up to 64)."""
    now = clock.now()
    with uow:
        code = LinkCode(
            code=secrets.token_urlsafe(12),
            customer_id=customer_id,
            created_by=actor,
            created_at=now,
            expires_at=now + VALID_FOR,
        )
        uow.session.add(code)
        record_audit(uow, actor=actor, action="customer.link_code", at=now, customer_id=customer_id)
        return code


def redeem_link_code(
    uow: UnitOfWork,
    clock: Clock,
    *,
    code: str,
    platform: str,
    user_id: str,
    chat_id: str,
    username: str | None = None,
    language_code: str | None = None,
) -> Customer:
    """Bind the chat to the code's customer. A used or expired code is refused (one customer, one chat).

    The code is claimed with one conditional UPDATE (`used_at IS NULL`): of two chats redeeming it
    at once, the second finds the row used once the first commits (PostgreSQL re-evaluates the
    WHERE after the row lock) and is refused, instead of both reading "unused" and both binding.
    """
    now = clock.now()
    with uow:
        link = uow.session.get(LinkCode, code.strip())
        if link is None or link.expires_at <= now:
            raise InvalidInput("this link is not valid (it may have expired); ask the shop for a new one")
        customer = repo.customer_by_id(uow.session, link.customer_id)
        if customer is None or customer.erased_at is not None:
            raise InvalidInput("this link is not valid")
        customer = follow_merges(uow, customer)
        if not _claim(uow, link.code, now):
            identity = repo.identity_for_chat_user(uow.session, platform, user_id)
            if identity is None or identity.customer_id != customer.id:
                raise InvalidInput("this link was already used")
            return customer  # the same chat tapping its own link again
        link_chat(
            uow,
            clock,
            customer,
            platform=platform,
            user_id=user_id,
            chat_id=chat_id,
            username=username,
            language_code=language_code,
        )
        return customer


def _claim(uow: UnitOfWork, code: str, now: datetime) -> bool:
    """Mark the code used unless it already is; True if this transaction is the one that used it."""
    claimed = uow.session.execute(
        update(LinkCode)
        .where(col(LinkCode.code) == code, col(LinkCode.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]
