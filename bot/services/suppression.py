"""The suppression list: what stops an erased person from coming back through an import, the API or a
shop webhook. Call `is_suppressed` before creating (or filling in) a customer from outside data; when
it says yes, refuse and say so ("1 row suppressed (erased customer)").

Only keyed hashes are stored: HMAC-SHA256 of the kind and the normalised value (the business's
customer id as written, the phone in E.164, the email lower-cased), never the values, so the list
cannot be read back into people. The key is ERASURE_KEY (Settings; AppContext's units of work carry
it in `session.info`), kept out of the database and its backups; without it, a random key is made
in the database on the first erasure. Both are tried when checking, so setting ERASURE_KEY later
keeps the earlier erasures suppressed; changing or losing ERASURE_KEY once set makes the erasures
hashed under it match nothing (README "Erasure").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import phonenumbers
from sqlmodel import Session, col, select

from storage.models import Suppression, SuppressionKey
from storage.upsert import insert_ignore

KEY_INFO: Final = "retention_bot.erasure_key"
"""`Session.info` entry holding ERASURE_KEY's bytes (set by AppContext.uow when configured)."""
KINDS: Final = ("customer_id", "phone", "email")
ERASED_ID_PREFIX: Final = "erased-"
"""An erased customer's placeholder id (never the person's own id, so never suppressed)."""


def uow_info(erasure_key: str | None) -> dict[str, Any]:
    """What a unit of work puts in its session's `info` so `is_suppressed` finds the key."""
    return {KEY_INFO: erasure_key.strip().encode("utf-8")} if erasure_key else {}


def normalise(kind: str, value: str | None) -> str | None:
    """The form that is hashed; None for an empty value. A phone not in E.164 (no leading +) is taken
    as written: callers normalise national numbers with DEFAULT_PHONE_REGION first, as imports do."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    if kind == "email":
        return text.lower()
    if kind == "phone":
        compact = "".join(ch for ch in text if ch.isdigit() or ch == "+")
        if compact.startswith("+"):
            try:
                number = phonenumbers.parse(compact, None)
            except phonenumbers.NumberParseException:
                return compact
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return compact or None
    return text


def identifiers(
    *, customer_id: str | None = None, phone: str | None = None, email: str | None = None
) -> list[tuple[str, str]]:
    """(kind, normalised value) for each identifier given."""
    found = []
    for kind, value in (("customer_id", customer_id), ("phone", phone), ("email", email)):
        normal = normalise(kind, value)
        if normal is not None:
            found.append((kind, normal))
    return found


def digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


def _settings_key(session: Session) -> bytes | None:
    key = session.info.get(KEY_INFO)
    return key if isinstance(key, bytes) and key else None


def _database_key(session: Session) -> bytes | None:
    row = session.exec(select(SuppressionKey.secret).where(SuppressionKey.id == 1)).first()
    return bytes.fromhex(row) if row else None


def _keys(session: Session) -> tuple[bytes, ...]:
    """Every key a suppression may have been hashed under."""
    return tuple(key for key in (_settings_key(session), _database_key(session)) if key is not None)


def _writing_key(session: Session, now: datetime) -> bytes:
    """ERASURE_KEY, or the database's key (made now if this is the first erasure without it)."""
    configured = _settings_key(session)
    if configured is not None:
        return configured
    insert_ignore(session, SuppressionKey, [{"id": 1, "secret": secrets.token_hex(32), "created_at": now}])
    stored = _database_key(session)
    assert stored is not None
    return stored


def _candidates(keys: Iterable[bytes], found: list[tuple[str, str]]) -> set[str]:
    return {digest(key, kind, value) for key in keys for kind, value in found}


def is_suppressed(
    session: Session, *, customer_id: str | None = None, phone: str | None = None, email: str | None = None
) -> bool:
    """Whether any of these identifiers belongs to an erased person. `customer_id` is the business's
    own id (SPEC's CUSTOMER), `phone` E.164, `email` any case. Empty values are ignored."""
    found = identifiers(customer_id=customer_id, phone=phone, email=email)
    if not found:
        return False
    keys = _keys(session)
    if not keys:
        return False  # nobody was ever erased
    hit = session.exec(
        select(Suppression.digest).where(col(Suppression.digest).in_(_candidates(keys, found))).limit(1)
    ).first()
    return hit is not None


@dataclass(frozen=True)
class SuppressionList:
    """The whole list, loaded once for checking many rows (an import file)."""

    keys: tuple[bytes, ...]
    digests: frozenset[str]

    def matches(
        self, *, customer_id: str | None = None, phone: str | None = None, email: str | None = None
    ) -> bool:
        if not self.digests:
            return False
        found = identifiers(customer_id=customer_id, phone=phone, email=email)
        return not self.digests.isdisjoint(_candidates(self.keys, found))


def load_suppressions(session: Session) -> SuppressionList:
    keys = _keys(session)
    digests = frozenset(session.exec(select(Suppression.digest)).all()) if keys else frozenset()
    return SuppressionList(keys, digests)


def suppress(session: Session, now: datetime, people: Iterable[Mapping[str, str | None]]) -> int:
    """Remember these people's identifiers (mappings with customer_id, phone, email); how many new."""
    key = _writing_key(session, now)
    rows: dict[str, dict[str, Any]] = {}
    for person in people:
        own_id = person.get("customer_id")
        if own_id is not None and own_id.startswith(ERASED_ID_PREFIX):
            own_id = None  # already erased: the placeholder is nobody's id
        for kind, value in identifiers(
            customer_id=own_id, phone=person.get("phone"), email=person.get("email")
        ):
            hashed = digest(key, kind, value)
            rows[hashed] = {"digest": hashed, "kind": kind, "created_at": now}
    return insert_ignore(session, Suppression, list(rows.values()))
