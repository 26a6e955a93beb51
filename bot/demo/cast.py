"""Who plays in the demo: Telegram users matching seeded customers (by phone), a new customer,
and a Slack workspace with a team channel, an admin and a staff member who is not one.

Ids are fixed, so a demo restarted on the same database meets the same people: a customer
who linked their chat last time is still linked, and the staff members keep their history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlmodel import col

from bot.context import AppContext
from bot.services.loyalty import current_balance
from storage import repositories as repo
from storage.models import Customer, Purchase

NEW_CUSTOMER_PHONE = "+12025550143"  # 555-01xx: a range reserved for fiction
TELEGRAM_ID_BASE = 710_000_000
TEAM_CHANNEL_ID = "C0RETENTN1"
TEAM_CHANNEL_NAME = "retention-team"
TELEGRAM_LANGUAGE = {"en": "en", "zh-Hans": "zh-hans", "zh-Hant": "zh-hant"}


@dataclass(frozen=True)
class DemoCustomer:
    """A Telegram user of the playground; `customer_id` is the business's id (None: not a customer yet)."""

    telegram_id: int
    first_name: str
    last_name: str | None
    language_code: str
    phone: str
    customer_id: str | None
    role: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(frozen=True)
class DemoStaff:
    slack_id: str
    display_name: str
    real_name: str
    is_admin: bool


STAFF = [
    DemoStaff("U0DEMOALEX", "Alex", "Alex Rivera", is_admin=True),
    DemoStaff("U0DEMOSAMM", "Sam", "Sam Lee", is_admin=False),
]


@dataclass(frozen=True)
class Cast:
    customers: list[DemoCustomer]
    staff: list[DemoStaff] = field(default_factory=lambda: list(STAFF))
    channel_id: str = TEAM_CHANNEL_ID
    channel_name: str = TEAM_CHANNEL_NAME

    @property
    def admin(self) -> DemoStaff:
        return next(s for s in self.staff if s.is_admin)


ADMIN_IDS = ",".join(s.slack_id for s in STAFF if s.is_admin)


@dataclass(frozen=True)
class _Row:
    id: int
    external_id: str
    name: str
    phone: str
    language: str
    purchases: int
    first: date
    last: date

    def usual_gap_days(self) -> float:
        return (self.last - self.first).days / max(self.purchases - 1, 1)


_Pick = Callable[[_Row, date], bool]
_ROLES: list[tuple[str, str, _Pick]] = [
    # within their usual rhythm, so the win-back automation leaves them be and the README's
    # "Try first" survey is not held back by the one-bot-message-a-day rule
    (
        "regular",
        "en",
        lambda r, today: r.purchases >= 3 and (today - r.last).days <= min(60, r.usual_gap_days()),
    ),
    ("slipping away", "en", lambda r, today: r.purchases >= 4 and 150 <= (today - r.last).days <= 400),
    ("regular (简体中文)", "zh-Hans", lambda r, today: r.purchases >= 2 and (today - r.last).days <= 120),
    ("regular (繁體中文)", "zh-Hant", lambda r, today: r.purchases >= 2 and (today - r.last).days <= 120),
]


def _rows(ctx: AppContext) -> list[_Row]:
    statement = (
        select(
            col(Customer.id),
            col(Customer.external_id),
            col(Customer.name),
            col(Customer.phone),
            col(Customer.language),
            func.count(col(Purchase.id)),
            func.min(col(Purchase.purchased_on)),
            func.max(col(Purchase.purchased_on)),
        )
        .join(Purchase, col(Purchase.customer_id) == col(Customer.id))
        .where(col(Customer.merged_into_id).is_(None), col(Customer.erased_at).is_(None))
        .where(col(Customer.phone).is_not(None), col(Customer.name).is_not(None))
        .group_by(col(Customer.id))
        .order_by(col(Customer.external_id))
    )
    with ctx.uow() as uow:
        return [_Row(*row) for row in uow.session.execute(statement).tuples()]


def choose_customers(ctx: AppContext) -> list[DemoCustomer]:
    """A few seeded customers worth playing (a regular, one slipping away, Chinese speakers) + a new one."""
    today = ctx.clock.now().astimezone(ctx.settings.tz).date()
    rows = _rows(ctx)
    chosen: list[DemoCustomer] = []
    for role, language, fits in _ROLES:
        taken = {c.name for c in chosen}
        candidates = [r for r in rows if r.language == language and r.name not in taken and fits(r, today)]
        if not candidates:
            continue
        row = max(candidates, key=lambda r: r.purchases)  # max keeps the first (lowest id) of ties
        points = current_balance(ctx.uow(), ctx.clock, row.id).spendable
        first, _, last = row.name.partition(" ") if language == "en" else (row.name, "", "")
        chosen.append(
            DemoCustomer(
                telegram_id=TELEGRAM_ID_BASE + row.id,
                first_name=first,
                last_name=last or None,
                language_code=TELEGRAM_LANGUAGE[language],
                phone=row.phone,
                customer_id=row.external_id,
                role=f"{role}, {points:,} points, last bought {(today - row.last).days} days ago",
            )
        )
    with ctx.uow() as uow:
        known = repo.customers_by_phone(uow.session, NEW_CUSTOMER_PHONE)
    chosen.append(
        DemoCustomer(
            telegram_id=TELEGRAM_ID_BASE - 1,
            first_name="Nina",
            last_name="Novak",
            language_code="en",
            phone=NEW_CUSTOMER_PHONE,
            customer_id=known[0].external_id if known else None,
            role="joined in an earlier demo run" if known else "new customer, not in the database yet",
        )
    )
    return chosen
