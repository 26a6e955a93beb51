"""Process settings from the environment and `.env` (SPEC §2). Secrets are `SecretStr`: never printed."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.proxies import Proxy, ProxyRules

LANGUAGES = ("en", "zh-Hans", "zh-Hant")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")


class Settings(BaseSettings):
    """Everything the process reads from its environment; built once in the CLI and passed down."""

    # env_ignore_empty: `KEY=` (in `.env` or the environment) is the same as leaving KEY out (SPEC §2).
    # Without it an empty RETENTION_CONFIG became Path('.') and an empty token a SecretStr('') that
    # counted as set (LIBRARIES.md §10).
    # hide_input_in_errors: a refused value (a token, a proxy URL with its password) never shows in an error.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        hide_input_in_errors=True,
    )

    database_url: str = "sqlite:///./retention.db"

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_base_url: str = "https://slack.com/api/"
    slack_team_channel: str | None = None
    slack_admin_user_ids: str = ""
    slack_staff_user_ids: str = ""
    slack_staff_group: str | None = None
    slack_thread_relay: str = "button"

    # Online shops (SPEC §9): each secret turns its webhook route on (handlers/shops).
    shopify_webhook_secret: SecretStr | None = None
    woocommerce_webhook_secret: SecretStr | None = None

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)

    timezone: str = "UTC"
    digest_time: str = "09:00"
    business_name: str = "our shop"
    default_language: str = "en"
    default_phone_region: str = "US"
    retention_config: Path | None = None

    log_level: str = "INFO"
    log_format: str = "text"

    erasure_key: SecretStr | None = None
    """Key of the keyed hashes that remember erased people (bot/services/suppression.py); kept out of
    the database and its backups. Unset: a random key is made in the database on the first erasure."""

    # Proxies for Telegram and Slack (bot/proxies.py reads them as curl does). Secrets: a proxy URL may
    # hold a password. Both spellings count (HTTPS_PROXY, https_proxy): settings ignore case.
    https_proxy: SecretStr | None = None
    http_proxy: SecretStr | None = None
    all_proxy: SecretStr | None = None
    no_proxy: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"TIMEZONE {value!r} is not an IANA time zone name (e.g. Asia/Taipei)") from exc
        return value

    @field_validator("digest_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value):
            raise ValueError(f"DIGEST_TIME {value!r} must be HH:MM (24-hour), e.g. 09:00")
        return value

    @field_validator("default_language")
    @classmethod
    def _supported_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"DEFAULT_LANGUAGE {value!r} must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("slack_thread_relay")
    @classmethod
    def _relay_mode(cls, value: str) -> str:
        if value not in ("button", "all"):
            raise ValueError(f"SLACK_THREAD_RELAY {value!r} must be 'button' or 'all'")
        return value

    @field_validator("default_phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError(f"DEFAULT_PHONE_REGION {value!r} must be a two-letter ISO country code")
        return value.upper()

    @field_validator("slack_api_base_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # slack-sdk joins method names with urljoin: without the slash the last path segment is lost.
        return value if value.endswith("/") else value + "/"

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL {value!r} must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        form = value.strip().lower()
        if form not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT {value!r} must be 'text' or 'json' (one JSON object per line)")
        return form

    @field_validator("erasure_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError(
                "ERASURE_KEY must be at least 16 characters; make one with: openssl rand -hex 32"
            )
        return value

    @field_validator("https_proxy", "http_proxy", "all_proxy")
    @classmethod
    def _proxy_url(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None:
            Proxy.parse(value.get_secret_value(), str(info.field_name).upper())  # the message hides it
        return value

    @property
    def proxies(self) -> ProxyRules:
        """Which proxy carries a request to a URL (none for this machine and NO_PROXY's hosts)."""

        def parsed(value: SecretStr | None) -> Proxy | None:
            return None if value is None else Proxy.parse(value.get_secret_value())

        return ProxyRules(
            https=parsed(self.https_proxy),
            http=parsed(self.http_proxy),
            every=parsed(self.all_proxy),
            no_proxy=self.no_proxy,
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_local_time(self) -> time:
        """HH:MM, or HH:MM:SS (seconds are accepted so a test can set the digest seconds ahead)."""
        return time.fromisoformat(self.digest_time)

    @property
    def admin_user_ids(self) -> frozenset[str]:
        return _ids(self.slack_admin_user_ids)

    @property
    def staff_user_ids(self) -> frozenset[str]:
        """SLACK_STAFF_USER_IDS; with it and SLACK_STAFF_GROUP unset, every full member is staff (§10)."""
        return _ids(self.slack_staff_user_ids)


def _ids(value: str) -> frozenset[str]:
    """A comma-separated list of Slack user ids (spaces around the commas are fine)."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())
