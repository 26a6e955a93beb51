"""Column helpers shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Default for created-at columns; services pass the injected clock's time explicitly."""
    return datetime.now(UTC)
