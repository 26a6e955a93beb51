"""Birthday greetings, with an optional bonus that is paid once a year and cannot be gamed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.loyalty import birthday_reward_allowed, credit_points
from storage.models import Customer
from storage.repositories import live_customers
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class BirthdayGreeting:
    customer_id: int
    bonus_points: int
    """0 when no bonus is configured, or the birthday was entered too recently to earn one."""
    key: str
    """Idempotency key of the greeting: one per customer per year."""


def birthday_on(born: date, year: int) -> date:
    """The birthday in `year`; 29 February is celebrated on 28 February in common years."""
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def greet_birthdays(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo
) -> list[BirthdayGreeting]:
    """Customers whose birthday is today (local), with their bonus credited once (the sender greets them)."""
    today = clock.now().astimezone(tz).date()
    greetings: list[BirthdayGreeting] = []
    with uow:
        candidates = uow.session.exec(
            select(Customer).where(live_customers(), col(Customer.birthday).is_not(None))
        ).all()
        for customer in candidates:
            assert customer.birthday is not None and customer.id is not None
            if birthday_on(customer.birthday, today.year) != today:
                continue
            bonus = rules.birthday.bonus_points
            if bonus and birthday_reward_allowed(customer, today, rules.birthday.min_days_known):
                credit_points(
                    uow,
                    clock,
                    rules,
                    customer_id=customer.id,
                    points=bonus,
                    kind="birthday",
                    reason=f"birthday {today.year}",
                    actor="system",
                    idempotency_key=f"birthday:{customer.id}:{today.year}",
                    pending=False,
                )
            else:
                bonus = 0
            greetings.append(
                BirthdayGreeting(customer.id, bonus, f"birthday-greeting:{customer.id}:{today.year}")
            )
    return greetings
