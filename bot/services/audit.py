"""The audit trail: who did what to which customer, as JSON details."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storage.models import AuditLog
from storage.uow import UnitOfWork


def record_audit(
    uow: UnitOfWork, *, actor: str, action: str, at: datetime, customer_id: int | None = None, **detail: Any
) -> None:
    """Append one audit entry in the caller's transaction (so it commits or rolls back with the change)."""
    with uow:
        uow.session.add(
            AuditLog(
                actor=actor,
                action=action,
                customer_id=customer_id,
                detail=json.dumps(detail, default=str, ensure_ascii=False),
                created_at=at,
            )
        )
