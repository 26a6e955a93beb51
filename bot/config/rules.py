"""Business rules (SPEC "Defaults", "Loyalty rules"): built-in defaults, overridable from a TOML file."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EarningRules(_Rule):
    points_per_currency_unit: Decimal = Decimal(1)
    """Points per whole unit of currency spent; the product is rounded down."""
    points_per_visit: int = Field(default=0, ge=0)
    pending_days: int = Field(default=0, ge=0)
    expiry_days: int | None = Field(default=365, ge=1)
    """Points expire this many days after they are earned; None means never."""
    expiry_notice_days: int = Field(default=7, ge=0)


class TierRule(_Rule):
    name: str
    threshold: int = Field(ge=0)
    multiplier: Decimal = Field(default=Decimal(1), ge=0)


class TierRules(_Rule):
    basis: Literal["points", "spend"] = "points"
    """What qualifies: points earned, or money spent."""
    window: Literal["rolling_12_months", "calendar_year"] = "rolling_12_months"
    levels: tuple[TierRule, ...] = (
        TierRule(name="Member", threshold=0),
        TierRule(name="Silver", threshold=500, multiplier=Decimal("1.25")),
        TierRule(name="Gold", threshold=2000, multiplier=Decimal("1.5")),
    )

    @model_validator(mode="after")
    def _ascending_from_zero(self) -> TierRules:
        thresholds = [level.threshold for level in self.levels]
        if not thresholds or thresholds[0] != 0 or thresholds != sorted(set(thresholds)):
            raise ValueError("tiers must start at threshold 0 and have strictly increasing thresholds")
        return self


class RewardRule(_Rule):
    code: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    name: str
    name_zh_hans: str | None = None
    name_zh_hant: str | None = None
    cost: int = Field(gt=0)

    def display_name(self, language: str) -> str:
        if language == "zh-Hans" and self.name_zh_hans:
            return self.name_zh_hans
        if language == "zh-Hant" and self.name_zh_hant:
            return self.name_zh_hant
        return self.name


class SurveyRules(_Rule):
    reward_points: int = Field(default=20, ge=0)
    cooldown_days: int = Field(default=90, ge=0)
    expiry_days: int = Field(default=7, ge=1)
    reminder_after_hours: int = Field(default=48, ge=1)
    post_purchase_delay_days: int = Field(default=7, ge=0)


class ContactRules(_Rule):
    min_hours_between_bot_messages: int = Field(default=24, ge=0)
    window_start_hour: int = Field(default=10, ge=0, le=23)
    window_end_hour: int = Field(default=20, ge=1, le=24)
    daily_cap: int = Field(default=500, ge=0)


class RiskRules(_Rule):
    p_alive_threshold: float = Field(default=0.5, gt=0, lt=1)
    overdue_factor: float = Field(default=2.0, gt=1)
    nps_threshold: int = Field(default=6, ge=0, le=10)
    ticket_sla_hours: int = Field(default=48, ge=1)


class SnapshotRules(_Rule):
    """How long the daily risk snapshots stay day by day; older days thin out (see
    bot/services/snapshot_retention.py), so the table grows by weeks and months, not days."""

    daily_days: int = Field(default=90, ge=1)
    """Every scored day newer than this is kept."""
    weekly_days: int = Field(default=730, ge=1)
    """Older than daily_days and newer than this: the last scored day of each week is kept; older
    still, the last scored day of each month, for good."""

    @model_validator(mode="after")
    def _weekly_after_daily(self) -> SnapshotRules:
        if self.weekly_days < self.daily_days:
            raise ValueError("snapshots.weekly_days must be at least snapshots.daily_days")
        return self


class BirthdayRules(_Rule):
    bonus_points: int = Field(default=0, ge=0)
    min_days_known: int = Field(default=30, ge=0)
    """A birthday entered fewer days than this before it earns no reward (anti-gaming)."""


class WinbackVariant(_Rule):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    text: str
    text_zh_hans: str | None = None
    text_zh_hant: str | None = None

    def display_text(self, language: str) -> str:
        if language == "zh-Hans" and self.text_zh_hans:
            return self.text_zh_hans
        if language == "zh-Hant" and self.text_zh_hant:
            return self.text_zh_hant
        return self.text


class WinbackRules(_Rule):
    enabled: bool = True
    measurement_days: int = Field(default=30, ge=1)
    """A purchase within this many days after the offer counts as a conversion."""
    variants: tuple[WinbackVariant, ...] = (
        WinbackVariant(
            name="A",
            text="10% off your next purchase",
            text_zh_hans="下次购物享九折",
            text_zh_hant="下次購物享九折",
        ),
        WinbackVariant(
            name="B",
            text="double points on your next purchase",
            text_zh_hans="下次购物双倍积分",
            text_zh_hant="下次購物雙倍點數",
        ),
    )

    @model_validator(mode="after")
    def _distinct_names(self) -> WinbackRules:
        names = [variant.name for variant in self.variants]
        if self.enabled and (len(names) < 1 or len(set(names)) != len(names)):
            raise ValueError("win-back variants need distinct names (at least one when enabled)")
        return self


class ScheduleRules(_Rule):
    """Local times (TIMEZONE) of the daily automations; the digest's own time is DIGEST_TIME."""

    score_at: time = time(3, 0)
    """Daily scoring (segments, P(alive), CLV, at-risk flags), ahead of the digest and win-back offers."""
    post_purchase_survey_at: time = time(9, 0)
    """The day's post-purchase surveys are queued; they go out inside the contact window."""
    retry_tries: int = Field(default=6, ge=1, le=20)
    """A failing job is tried this often in all, then given up and reported in the team channel."""
    retry_first_delay_seconds: int = Field(default=60, ge=1)
    """The wait before the second try; each later wait doubles (1, 2, 4, 8, 16 minutes)."""

    def retry_delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed try."""
        return timedelta(seconds=self.retry_first_delay_seconds * 2 ** (attempts - 1))


class ApiRules(_Rule):
    """The HTTP API under /api/v1 (tills, online shops)."""

    requests_per_second: float = Field(default=10, gt=0)
    """Each key's sustained rate; past it (and past the burst) a request gets 429 with Retry-After."""
    burst: int = Field(default=50, ge=1)
    """Requests one key may send at once before the rate applies (a till catching up after a
    network outage)."""


class BusinessRules(_Rule):
    max_staff_purchase: Decimal = Field(default=Decimal(500), ge=0)
    """A `/crm purchase` above this amount needs an admin (SPEC §10); staff record up to it."""
    earning: EarningRules = EarningRules()
    tiers: TierRules = TierRules()
    rewards: tuple[RewardRule, ...] = (
        RewardRule(
            code="five_off",
            name="5 off your next purchase",
            name_zh_hans="下次消费减 5 元",
            name_zh_hant="下次消費折抵 5 元",
            cost=100,
        ),
        RewardRule(
            code="free_gift", name="Free gift", name_zh_hans="免费礼品", name_zh_hant="免費贈品", cost=300
        ),
    )
    survey: SurveyRules = SurveyRules()
    contact: ContactRules = ContactRules()
    risk: RiskRules = RiskRules()
    snapshots: SnapshotRules = SnapshotRules()
    birthday: BirthdayRules = BirthdayRules()
    winback: WinbackRules = WinbackRules()
    schedule: ScheduleRules = ScheduleRules()
    api: ApiRules = ApiRules()

    def reward(self, code: str) -> RewardRule | None:
        return next((reward for reward in self.rewards if reward.code == code), None)


class RulesFileError(ValueError):
    """The TOML file is missing, unreadable or does not validate; the message is one line."""


def load_rules(path: Path | None) -> BusinessRules:
    """The defaults, overridden section by section by the TOML file at `path` (if any)."""
    if path is None:
        return BusinessRules()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesFileError(f"RETENTION_CONFIG file {path} does not exist") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesFileError(f"RETENTION_CONFIG file {path} is not valid TOML: {exc}") from exc
    try:
        return BusinessRules.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RulesFileError(f"RETENTION_CONFIG {path}: {where}: {first['msg']}") from exc
