"""first-response clock: when staff first replied in a conversation, and when it was flagged overdue

Revision ID: 0005h
Revises: 0005g
Create Date: 2026-12-10 12:00:00

Conversations that were already answered before this revision get their first staff reply after
they opened (from the timeline), so they do not show up as waiting for a reply.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005h"
down_revision: str | None = "0005g"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of `ticket`: other tables' foreign keys point at it).
    op.add_column(
        "ticket", sa.Column("first_response_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )
    op.add_column("ticket", sa.Column("overdue_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE ticket SET first_response_at = (SELECT MIN(i.created_at) FROM interaction AS i "
        "WHERE i.customer_id = ticket.customer_id AND i.kind = 'staff_reply' "
        "AND i.direction = 'outbound' AND i.created_at >= ticket.opened_at "
        "AND (ticket.resolved_at IS NULL OR i.created_at <= ticket.resolved_at))"
    )


def downgrade() -> None:
    op.drop_column("ticket", "overdue_at")
    op.drop_column("ticket", "first_response_at")
