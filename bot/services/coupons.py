"""Coupons (SPEC §9): a code, an expiry and a state, used exactly once.

A coupon is issued when a customer redeems a reward and when a win-back offer is first sent. Its
state column holds issued, used or void; "expired" is derived when it is read (an issued coupon
whose `expires_at` has passed), so no job has to run for a coupon to stop working, and the moment
it stops is exact. Using or voiding is one conditional UPDATE (`… WHERE state = 'issued' AND
expires_at > now`) whose row count says who won: two tills, two clicks or two processes at the
same moment use a coupon once, on SQLite (BEGIN IMMEDIATE) and PostgreSQL (the row lock makes the
second UPDATE re-check its WHERE) alike.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final, Literal

from sqlalchemy import update
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules, RewardRule, WinbackVariant
from bot.events import LocalText
from bot.services.audit import record_audit
from bot.services.authorization import ADMIN, Role, RoleRequired, may
from storage.models import Coupon, Customer, Redemption, WinbackOffer
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore

CouponState = Literal["issued", "used", "void", "expired"]
Refusal = Literal["unknown_code", "used", "void", "expired"]
"""Why a coupon cannot be used: no such code, used already, voided, past its expiry."""

ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O, no 1/I: codes are read aloud and typed at a till."""
GROUPS: Final = 3
GROUP_SIZE: Final = 4


def new_coupon_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE)) for _ in range(GROUPS))


def normalize_code(typed: str) -> str | None:
    """The canonical code (`ABCD-EFGH-JKLM`) for what a person typed, or None if it cannot be one.

    Case does not matter; spaces, dashes (any kind) and other punctuation between the characters
    are ignored; full-width characters (Ｘ７, typed with a Chinese or Japanese input method) count
    as their ASCII selves.
    """
    folded = unicodedata.normalize("NFKC", typed).upper()
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "ZPC")
    if len(kept) != GROUPS * GROUP_SIZE or not all(ch.isascii() and ch.isalnum() for ch in kept):
        return None
    return "-".join(kept[i : i + GROUP_SIZE] for i in range(0, len(kept), GROUP_SIZE))


def expiry_after(issued_at: datetime, days: int, tz: tzinfo) -> datetime:
    """The end of the local day `days` days after `issued_at` (a coupon issued at 15:00 on the 2nd
    with 30 days is good all day on 1 April, the 30th day after, and stops at midnight)."""
    last_day = issued_at.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)


def last_valid_day(expires_at: datetime, tz: tzinfo) -> date:
    """The last local day a coupon can be used (the day before the midnight it stops at)."""
    return (expires_at - timedelta(microseconds=1)).astimezone(tz).date()


@dataclass(frozen=True)
class CouponView:
    """A coupon as people see it: what it is worth, whose it is, whether it can still be used."""

    code: str
    state: CouponState
    """issued (valid now), used, void, or expired (issued, but past `expires_at`)."""
    kind: str
    """reward or winback."""
    item: str
    """The reward's code or the win-back variant's name."""
    title: LocalText
    """What it is worth, as promised when issued, in each language the rules gave."""
    customer_id: int
    customer_external_id: str
    customer_name: str | None
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None
    voided_at: datetime | None
    voided_by: str | None

    @property
    def valid(self) -> bool:
        return self.state == "issued"


@dataclass(frozen=True)
class CouponResult:
    """The answer to a look-up, a use or a void (what the Slack command and the HTTP API render).

    `done`: this request changed the coupon (used it, voided it). `refusal`: why the coupon cannot
    be used (a look-up of a valid coupon, or a request that succeeded, has none). `coupon` is None
    only for an unknown code.
    """

    code: str
    """The canonical code, or the text as typed when it cannot be a code."""
    coupon: CouponView | None
    done: bool = False
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _title(coupon: Coupon) -> LocalText:
    texts = (("en", coupon.title), ("zh-Hans", coupon.title_zh_hans), ("zh-Hant", coupon.title_zh_hant))
    return LocalText(coupon.title, tuple((lang, text) for lang, text in texts if text))


def _state(coupon: Coupon, now: datetime) -> CouponState:
    if coupon.state == "used":
        return "used"
    if coupon.state == "void":
        return "void"
    return "issued" if coupon.expires_at > now else "expired"


def _view(coupon: Coupon, customer: Customer, now: datetime) -> CouponView:
    return CouponView(
        code=coupon.code,
        state=_state(coupon, now),
        kind=coupon.kind,
        item=coupon.item,
        title=_title(coupon),
        customer_id=coupon.customer_id,
        customer_external_id=customer.external_id,
        customer_name=customer.name,
        issued_at=coupon.issued_at,
        expires_at=coupon.expires_at,
        used_at=coupon.used_at,
        used_by=coupon.used_by,
        voided_at=coupon.voided_at,
        voided_by=coupon.voided_by,
    )


def _read(uow: UnitOfWork, code: str, now: datetime) -> CouponView | None:
    row = uow.session.exec(
        select(Coupon, Customer)
        .join(Customer, col(Customer.id) == col(Coupon.customer_id))
        .where(Coupon.code == code)
        .execution_options(populate_existing=True)  # the row as the UPDATE just left it
    ).first()
    if row is None:
        return None
    coupon, customer = row
    return _view(coupon, customer, now)


def _refusal(view: CouponView) -> Refusal | None:
    return None if view.state == "issued" else view.state


def lookup_coupon(uow: UnitOfWork, clock: Clock, code: str, *, actor: str | None = None) -> CouponResult:
    """A coupon's state by its code as typed; with an actor, the look-up is audited (it shows whose
    coupon it is)."""
    canonical = normalize_code(code)
    now = clock.now()
    with uow:
        view = _read(uow, canonical, now) if canonical else None
        if view is None:
            return CouponResult(canonical or code.strip(), None, refusal="unknown_code")
        if actor is not None:
            record_audit(
                uow, actor=actor, action="coupon.check", at=now, customer_id=view.customer_id, code=view.code
            )
        return CouponResult(view.code, view, refusal=_refusal(view))


def _change(
    uow: UnitOfWork, clock: Clock, code: str, *, actor: str, to: Literal["used", "void"]
) -> CouponResult:
    canonical = normalize_code(code)
    now = clock.now()
    with uow:
        if canonical is None:
            return CouponResult(code.strip(), None, refusal="unknown_code")
        stamp = {"used_at": now, "used_by": actor} if to == "used" else {"voided_at": now, "voided_by": actor}
        changed = uow.session.execute(
            update(Coupon)
            .where(
                col(Coupon.code) == canonical,
                col(Coupon.state) == "issued",
                col(Coupon.expires_at) > now,
            )
            .values(state=to, **stamp)
            .execution_options(synchronize_session=False)
        )
        view = _read(uow, canonical, now)
        if view is None:
            return CouponResult(canonical, None, refusal="unknown_code")
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return CouponResult(canonical, view, refusal=_refusal(view) or "used")
        action = "coupon.use" if to == "used" else "coupon.void"
        record_audit(uow, actor=actor, action=action, at=now, customer_id=view.customer_id, code=canonical)
        return CouponResult(canonical, view, done=True)


def redeem_coupon(uow: UnitOfWork, clock: Clock, code: str, *, actor: str) -> CouponResult:
    """Use a coupon, exactly once: `done` for the one request that used it; every other request
    (a second till, a double click, a replay) gets the refusal with when and by whom."""
    return _change(uow, clock, code, actor=actor, to="used")


def void_coupon(
    uow: UnitOfWork, clock: Clock, code: str, *, actor: str, actor_role: Role | None
) -> CouponResult:
    """Void a valid coupon (admins only: RoleRequired otherwise, before anything is read)."""
    if not may(actor_role, "coupon.void"):
        raise RoleRequired(ADMIN, "voiding a coupon needs an admin")
    return _change(uow, clock, code, actor=actor, to="void")


def open_coupons(uow: UnitOfWork, clock: Clock, customer_id: int) -> list[CouponView]:
    """The customer's coupons that can still be used, the soonest to expire first."""
    now = clock.now()
    with uow:
        rows = uow.session.exec(
            select(Coupon, Customer)
            .join(Customer, col(Customer.id) == col(Coupon.customer_id))
            .where(Coupon.customer_id == customer_id, Coupon.state == "issued", Coupon.expires_at > now)
            .order_by(col(Coupon.expires_at), col(Coupon.id))
        ).all()
        return [_view(coupon, customer, now) for coupon, customer in rows]


# --- issuing ------------------------------------------------------------------------------------


def issue_reward_coupon(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: tzinfo,
    *,
    redemption: Redemption,
    reward: RewardRule,
) -> Coupon:
    """The coupon of a confirmed redemption (its code is the redemption's coupon code)."""
    assert redemption.id is not None and redemption.coupon_code is not None
    now = clock.now()
    with uow:
        coupon = Coupon(
            code=redemption.coupon_code,
            customer_id=redemption.customer_id,
            kind="reward",
            item=reward.code,
            title=reward.name,
            title_zh_hans=reward.name_zh_hans,
            title_zh_hant=reward.name_zh_hant,
            redemption_id=redemption.id,
            state="issued",
            issued_at=now,
            expires_at=expiry_after(now, rules.coupons.valid_days, tz),
        )
        uow.session.add(coupon)
        uow.flush()
        return coupon


def offer_coupons(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: tzinfo, offers: Sequence[WinbackOffer]
) -> dict[int, Coupon]:
    """Each offer's coupon, issued now for those that have none yet (one per offer, also when two
    runs of the job meet: the unique offer id keeps the first)."""
    ids = [offer.id for offer in offers if offer.id is not None]
    if not ids:
        return {}
    variants = {variant.name: variant for variant in rules.winback.variants}
    now = clock.now()
    expires_at = expiry_after(now, rules.coupons.winback_valid_days, tz)
    with uow:
        for _ in range(3):  # a fresh code can collide with an old one (1 in 10^18): try again
            found = _offer_coupons(uow, ids)
            missing = [offer for offer in offers if offer.id is not None and offer.id not in found]
            if not missing:
                return found
            insert_ignore(
                uow.session,
                Coupon,
                [_offer_row(offer, variants.get(offer.variant), now, expires_at) for offer in missing],
            )
        return _offer_coupons(uow, ids)


def _offer_coupons(uow: UnitOfWork, ids: list[int]) -> dict[int, Coupon]:
    rows = uow.session.exec(select(Coupon).where(col(Coupon.winback_offer_id).in_(ids))).all()
    return {row.winback_offer_id: row for row in rows if row.winback_offer_id is not None}


def _offer_row(
    offer: WinbackOffer, variant: WinbackVariant | None, now: datetime, expires_at: datetime
) -> dict[str, object]:
    return {
        "code": new_coupon_code(),
        "customer_id": offer.customer_id,
        "kind": "winback",
        "item": offer.variant,
        "title": variant.text if variant else offer.variant,
        "title_zh_hans": variant.text_zh_hans if variant else None,
        "title_zh_hant": variant.text_zh_hant if variant else None,
        "winback_offer_id": offer.id,
        "state": "issued",
        "issued_at": now,
        "expires_at": expires_at,
    }


def void_offer_coupon(uow: UnitOfWork, clock: Clock, *, offer_id: int) -> None:
    """An offer that never reached the customer: its coupon (if it had one) can never be used."""
    with uow:
        uow.session.execute(
            update(Coupon)
            .where(col(Coupon.winback_offer_id) == offer_id, col(Coupon.state) == "issued")
            .values(state="void", voided_at=clock.now(), voided_by="system")
            .execution_options(synchronize_session=False)
        )
