"""Business rules (SPEC "Defaults", "Loyalty rules"): built-in defaults, overridable from a TOML file."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.text.chinese import to_simplified, to_traditional


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


WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHoursRules(_Rule):
    """When staff are there to answer (in TIMEZONE): the first-response clock runs only then (§8)."""

    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = (
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
    )
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    """"24:00" (or "00:00") is midnight at the end of the day: opens "00:00", closes "24:00" is all day."""

    @field_validator("closes", mode="before")
    @classmethod
    def _midnight(cls, value: object) -> object:
        return time(0, 0) if value in ("24:00", "24:00:00") else value

    @model_validator(mode="after")
    def _opens_before_closing(self) -> BusinessHoursRules:
        if not self.days:
            raise ValueError('business_hours.days needs at least one day (e.g. ["mon", "tue"])')
        if not self.closes_at_midnight and self.opens >= self.closes:
            raise ValueError("business_hours.opens must be before business_hours.closes (same day)")
        return self

    @property
    def closes_at_midnight(self) -> bool:
        return self.closes == time(0, 0)

    @property
    def weekdays(self) -> frozenset[int]:
        """The open days as datetime.weekday() numbers (Monday 0)."""
        return frozenset(WEEKDAYS.index(day) for day in self.days)


class ResponseTargets(_Rule):
    """Business hours within which a conversation of each kind should get staff's first reply."""

    complaint: float = Field(default=4, gt=0)
    question: float = Field(default=8, gt=0)
    request: float = Field(default=8, gt=0)

    def for_kind(self, kind: str) -> timedelta:
        hours = {"complaint": self.complaint, "question": self.question, "request": self.request}
        return timedelta(hours=hours.get(kind, self.question))


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


class CouponRules(_Rule):
    """How long coupons stay usable. A coupon is valid through the whole local day (TIMEZONE) that
    many days after it was issued, and stops at the midnight after it."""

    valid_days: int = Field(default=30, ge=1)
    """A redeemed reward's coupon."""
    winback_valid_days: int = Field(default=30, ge=1)
    """A win-back offer's coupon, counted from when the offer is first sent."""


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


FAQ_LANGUAGES: Final = ("en", "zh-Hans", "zh-Hant")
FAQ_QUESTION_MAX = 200
FAQ_ANSWER_MAX = 3000


class FaqAnswer(_Rule):
    """An FAQ answer per language (`answer = { en = "…", zh-Hans = "…", zh-Hant = "…" }`); at least one.

    A missing language is filled in: Traditional from Simplified and back (OpenCC, the script only:
    the shop's words are kept), otherwise English, otherwise whichever Chinese there is.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    en: str | None = Field(default=None, max_length=FAQ_ANSWER_MAX)
    zh_hans: str | None = Field(default=None, alias="zh-Hans", max_length=FAQ_ANSWER_MAX)
    zh_hant: str | None = Field(default=None, alias="zh-Hant", max_length=FAQ_ANSWER_MAX)
    _texts: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("en", "zh_hans", "zh_hant")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _fill_in(self) -> FaqAnswer:
        if not (self.en or self.zh_hans or self.zh_hant):
            raise ValueError("needs at least one of en, zh-Hans, zh-Hant")
        hans = self.zh_hans or (to_simplified(self.zh_hant) if self.zh_hant else None)
        hant = self.zh_hant or (to_traditional(self.zh_hans) if self.zh_hans else None)
        en = self.en or hans or hant
        assert en is not None
        self._texts.update({"en": en, "zh-Hans": hans or en, "zh-Hant": hant or en})
        return self

    def for_language(self, language: str) -> str:
        return self._texts.get(language) or self._texts["en"]


class FaqEntry(_Rule):
    """One `[[faq]]`: example questions or keywords (any language) and the shop's answer."""

    key: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,32}$")
    """Names the entry in the counts (/crm faq); without one, its first question does."""
    questions: tuple[str, ...] = Field(min_length=1, max_length=50)
    answer: FaqAnswer

    @field_validator("questions")
    @classmethod
    def _questions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(" ".join(q.split()) for q in value)
        if any(not q for q in cleaned):
            raise ValueError("a question is empty")
        if any(len(q) > FAQ_QUESTION_MAX for q in cleaned):
            raise ValueError(f"a question is longer than {FAQ_QUESTION_MAX} characters")
        return cleaned

    @property
    def id(self) -> str:
        """The entry's name in the database: its key, or its first question (lower case, ≤ 64)."""
        return self.key or self.questions[0].lower()[:64]


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
    coupons: CouponRules = CouponRules()
    schedule: ScheduleRules = ScheduleRules()
    business_hours: BusinessHoursRules = BusinessHoursRules()
    response_targets: ResponseTargets = ResponseTargets()
    api: ApiRules = ApiRules()
    faq: tuple[FaqEntry, ...] = ()
    """The shop's own answers (SPEC §8 "Answers the shop wrote"); none by default."""

    @model_validator(mode="after")
    def _distinct_faq_ids(self) -> BusinessRules:
        seen: dict[str, int] = {}
        for number, entry in enumerate(self.faq, start=1):
            if entry.id in seen:
                raise ValueError(
                    f"faq entries {seen[entry.id]} and {number} are both named {entry.id!r}: "
                    "give one a distinct key"
                )
            seen[entry.id] = number
        return self

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
        where = _where(first["loc"], data)
        message = first["msg"].removeprefix("Value error, ")
        raise RulesFileError(f"RETENTION_CONFIG {path}: {where + ': ' if where else ''}{message}") from exc


def _where(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """The error's place, an FAQ entry named by its number and first question: `faq entry 2
    ("where are you"): answer`."""
    if len(loc) >= 2 and loc[0] == "faq" and isinstance(loc[1], int):
        entries = data.get("faq")
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        questions = entry.get("questions") if isinstance(entry, dict) else None
        first = questions[0] if isinstance(questions, list) and questions else None
        name = f"faq entry {loc[1] + 1}" + (f" ({first!r})" if isinstance(first, str) else "")
        rest = ".".join(str(part) for part in loc[2:])
        return f"{name}: {rest}" if rest else name
    return ".".join(str(part) for part in loc)
