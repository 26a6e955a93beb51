"""coupons: one row per coupon (a redeemed reward, a win-back offer) with its expiry and state

Revision ID: 0005c
Revises: 0004r
Create Date: 2026-12-06 10:00:00

Coupons already given out (confirmed redemptions with a code) become issued coupons. They were
handed out with no expiry, so none is cut short by the upgrade: each gets the default validity
(30 days) counted from the upgrade, to the end of that day (UTC).
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005c"
down_revision: str | None = "0005b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_DAYS = 30


def upgrade() -> None:
    op.create_table(
        "coupon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("title_zh_hans", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("title_zh_hant", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("redemption_id", sa.Integer(), nullable=True),
        sa.Column("winback_offer_id", sa.Integer(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("used_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("voided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("voided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["redemption_id"], ["redemption.id"]),
        sa.ForeignKeyConstraint(["winback_offer_id"], ["winback_offer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("redemption_id"),
        sa.UniqueConstraint("winback_offer_id"),
    )
    with op.batch_alter_table("coupon", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coupon_expires_at"), ["expires_at"], unique=False)
    _backfill()


def _backfill() -> None:
    redemption = sa.table(
        "redemption",
        sa.column("id", sa.Integer()),
        sa.column("customer_id", sa.Integer()),
        sa.column("reward_code", sa.String()),
        sa.column("coupon_code", sa.String()),
        sa.column("status", sa.String()),
        sa.column("confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    reward = sa.table("reward", sa.column("code", sa.String()), sa.column("name", sa.String()))
    given = (
        op.get_bind()
        .execute(
            sa.select(
                redemption.c.id,
                redemption.c.customer_id,
                redemption.c.reward_code,
                redemption.c.coupon_code,
                redemption.c.confirmed_at,
                reward.c.name,
            )
            .join(reward, reward.c.code == redemption.c.reward_code)
            .where(redemption.c.status == "confirmed", redemption.c.coupon_code.is_not(None))
            .order_by(redemption.c.id)
        )
        .all()
    )
    if not given:
        return
    now = datetime.now(UTC)
    until = datetime.combine((now + timedelta(days=BACKFILL_DAYS + 1)).date(), time(0), UTC)
    coupon = sa.table(
        "coupon",
        sa.column("code", sa.String()),
        sa.column("customer_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("item", sa.String()),
        sa.column("title", sa.String()),
        sa.column("redemption_id", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    op.bulk_insert(
        coupon,
        [
            {
                "code": code,
                "customer_id": customer_id,
                "kind": "reward",
                "item": reward_code,
                "title": name,
                "redemption_id": redemption_id,
                "state": "issued",
                "issued_at": confirmed_at or now,
                "expires_at": until,
            }
            for redemption_id, customer_id, reward_code, code, confirmed_at, name in given
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("coupon", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_expires_at"))
        batch_op.drop_index(batch_op.f("ix_coupon_customer_id"))
    op.drop_table("coupon")
