"""campaign sender lease

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000

A survey campaign records which process is sending it and until when that claim holds, so a
resumed or taken-over campaign never resends what a living sender has in flight.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sender_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sender_lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_campaign", schema=None) as batch_op:
        batch_op.drop_column("sender_lease_until")
        batch_op.drop_column("sender_id")
