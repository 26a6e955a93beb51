"""Typed domain errors. Handlers turn them into polite replies; the CLI into exit code 2 and one line."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """Something the user asked for cannot be done; the message says why in one line."""


class CustomerNotFound(DomainError):
    def __init__(self, query: str) -> None:
        super().__init__(f"no customer matches {query!r}")
        self.query = query


class AmbiguousCustomer(DomainError):
    def __init__(self, query: str, candidates: Sequence[object]) -> None:
        super().__init__(f"{len(candidates)} customers match {query!r}; use the customer id")
        self.query = query
        self.candidates = list(candidates)


class SuppressedCustomer(DomainError):
    """The person was erased at their request: nothing may bring them back (SPEC §10)."""

    def __init__(self) -> None:
        super().__init__(
            "this person's data was erased at their request: they are not recorded again (suppressed)"
        )


class InvalidInput(DomainError):
    """A value a person typed or a file held does not make sense (bad amount, bad date…)."""


class NotEnoughPoints(DomainError):
    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"needs {needed} points, only {available} available")
        self.needed = needed
        self.available = available


class NotAllowed(DomainError):
    """The actor lacks the role for this action (e.g. a non-admin adjusting points)."""


class OrderNotFound(DomainError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"no purchase with order id {order_id!r}")
        self.order_id = order_id


class AlreadyDone(DomainError):
    """The thing was done before (a refunded order, a used coupon); nothing changed."""


class RefundTooLarge(DomainError):
    def __init__(self, order_id: str, asked: object, left: object) -> None:
        super().__init__(
            f"a refund of {asked} is more than the {left} of order {order_id!r} not refunded yet"
        )
        self.order_id = order_id


class UnknownReward(DomainError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no reward {code!r} in the catalogue")
        self.code = code
