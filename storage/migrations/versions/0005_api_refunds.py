"""API keys; partial refunds (refunded_amount on purchase, one refund row per refund)

Revision ID: 0005b
Revises: 0004r
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005b"
down_revision: str | None = "0004r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("purchase") as batch:
        # Existing full refunds count as their whole amount refunded.
        batch.add_column(
            sa.Column(
                "refunded_amount", sa.Numeric(precision=12, scale=2), nullable=False, server_default="0"
            )
        )
    op.execute("UPDATE purchase SET refunded_amount = amount WHERE refunded_at IS NOT NULL")
    op.create_table(
        "refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("refund_key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("points_reversed", sa.BigInteger(), nullable=False),
        sa.Column("points_not_recoverable", sa.BigInteger(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["purchase_id"], ["purchase.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("refund_key"),
    )
    with op.batch_alter_table("refund") as batch:
        batch.create_index(batch.f("ix_refund_purchase_id"), ["purchase_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refund") as batch:
        batch.drop_index(batch.f("ix_refund_purchase_id"))
    op.drop_table("refund")
    with op.batch_alter_table("purchase") as batch:
        batch.drop_column("refunded_amount")
    op.drop_table("api_key")
