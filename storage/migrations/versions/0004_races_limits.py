"""races and limits: 64-bit points deltas

Revision ID: 0004r
Revises: 0003
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004r"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL rewrites the column in place; SQLite (whose integers are 64-bit already) gets the
    # declared type too, through batch mode, so the schema says what the model says.
    with op.batch_alter_table("points_entry") as batch:
        batch.alter_column(
            "delta", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("points_entry") as batch:
        batch.alter_column(
            "delta", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
