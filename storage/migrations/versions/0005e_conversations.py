"""conversations: a ticket's kind and relay state, one open ticket per customer, unknown contacts,
triaged messages

Revision ID: 0005e
Revises: 0004r
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005e"
down_revision: str | None = "0005f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    # Plain ALTER TABLE ADD / DROP COLUMN (SQLite has both since 3.35): a batch copy of `customer`
    # would drop a table other tables' foreign keys point at, which SQLite refuses once it has rows.
    op.add_column(
        "ticket",
        sa.Column(
            "kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="complaint"
        ),
    )
    op.add_column("ticket", sa.Column("held_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("ticket", sa.Column("last_relay_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("ticket", sa.Column("relay_paused_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Before the index: a customer with several open tickets (a race the service checked only in
    # memory) keeps the newest open; the older ones are closed, marked as closed by this migration.
    op.execute(
        "UPDATE ticket SET status = 'resolved', resolved_by = 'migration:0005e', resolved_at = opened_at "
        "WHERE status = 'open' AND EXISTS (SELECT 1 FROM ticket AS newer WHERE newer.status = 'open' "
        "AND newer.customer_id = ticket.customer_id AND newer.id > ticket.id)"
    )
    op.create_index(
        "uq_ticket_open_customer",
        "ticket",
        ["customer_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.add_column(
        "customer", sa.Column("unknown_contact", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "interaction", sa.Column("triage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
    )
    op.add_column("interaction", sa.Column("ticket_id", sa.Integer(), nullable=True))
    op.add_column(
        "interaction", sa.Column("relay", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
    )
    op.create_index("ix_interaction_ticket_id", "interaction", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_interaction_ticket_id", table_name="interaction")
    for column in ("relay", "ticket_id", "triage"):
        op.drop_column("interaction", column)
    op.drop_column("customer", "unknown_contact")
    op.drop_index("uq_ticket_open_customer", table_name="ticket")
    for column in ("relay_paused_at", "last_relay_at", "held_since", "kind"):
        op.drop_column("ticket", column)
