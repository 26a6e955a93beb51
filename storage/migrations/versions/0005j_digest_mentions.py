"""digest mentions

Revision ID: 0005j
Revises: 0005h
Create Date: 2026-12-05 10:00:00

digest_mention: which customers a posted digest message named (and fingerprints of their lines), so
forgetting a customer can redact them from digests already in the channel.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005j"
down_revision: str | None = "0005h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("lines", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "ts", "customer_id", name="uq_digest_mention"),
    )
    with op.batch_alter_table("digest_mention", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_mention_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_mention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_mention_customer_id"))
    op.drop_table("digest_mention")
