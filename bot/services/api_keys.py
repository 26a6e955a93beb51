"""Keys for the HTTP API: created with a name, shown once, kept only as a SHA-256 hash, revoked at once.

A key is `rbk_` followed by 43 URL-safe characters (32 random bytes, 256 bits): far too many to
guess, so one unsalted SHA-256 is enough to keep (a slow password hash protects guessable
secrets, not random ones) and a lookup by the hash is one indexed read per request. Names are
never reused, so `api:<name>` in the audit log always means one key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlmodel import col, select

from bot.clock import Clock
from bot.services.audit import record_audit
from bot.services.errors import AlreadyDone, DomainError, InvalidInput
from storage.models import ApiKey
from storage.uow import UnitOfWork

KEY_PREFIX: Final = "rbk_"
SHOWN_CHARS: Final = 12
"""How much of a key `apikey list` shows (the prefix and 8 random characters) to tell keys apart."""
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class ApiKeyNotFound(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no API key named {name!r}; `retention-bot apikey list` shows them")


@dataclass(frozen=True)
class NewKey:
    record: ApiKey
    key: str
    """The key itself: shown once, never stored."""


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"API key name {name[:70]!r} is not valid: 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def create_api_key(uow: UnitOfWork, clock: Clock, *, name: str, actor: str = "cli") -> NewKey:
    """A new key named `name`; the name must be new (revoked keys keep theirs)."""
    check_name(name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    with uow:
        if uow.session.exec(select(ApiKey).where(ApiKey.name == name)).first() is not None:
            raise InvalidInput(
                f"an API key named {name!r} exists already (names are not reused); pick another"
            )
        record = ApiKey(name=name, key_hash=key_hash(key), prefix=key[:SHOWN_CHARS], created_at=now)
        uow.session.add(record)
        record_audit(uow, actor=actor, action="apikey.create", at=now, name=name)
        uow.flush()
        return NewKey(record, key)


def list_api_keys(uow: UnitOfWork) -> Sequence[ApiKey]:
    with uow:
        return uow.session.exec(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))).all()


def revoke_api_key(uow: UnitOfWork, clock: Clock, *, name: str, actor: str = "cli") -> ApiKey:
    """Refuse the key from the next request on (every request reads the key's row)."""
    now = clock.now()
    with uow:
        record = uow.session.exec(select(ApiKey).where(ApiKey.name == name)).first()
        if record is None:
            raise ApiKeyNotFound(name)
        if record.revoked_at is not None:
            raise AlreadyDone(f"API key {name!r} was revoked already")
        record.revoked_at = now
        uow.session.add(record)
        record_audit(uow, actor=actor, action="apikey.revoke", at=now, name=name)
        return record


def authenticate(uow: UnitOfWork, presented: str) -> ApiKey | None:
    """The live key `presented` is, or None (unknown, malformed or revoked)."""
    if not presented.startswith(KEY_PREFIX) or len(presented) > 100:
        return None
    wanted = key_hash(presented)
    with uow.reading():
        record = uow.session.exec(select(ApiKey).where(ApiKey.key_hash == wanted)).first()
        if record is None or record.revoked_at is not None:
            return None
        return record if hmac.compare_digest(record.key_hash, wanted) else None
