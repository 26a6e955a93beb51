"""Logging for the long-running bot: LOG_LEVEL, LOG_FORMAT (plain lines or JSON lines), and secrets
redacted from every record.

httpx logs each request URL at INFO, and Telegram puts the bot token in the URL, so the
redaction is a filter on the handler: it runs on every record, whatever logger it came from, after
the message is put together and before either format writes it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot.config import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("httpx", "httpcore", "alembic", "apscheduler.executors", "apscheduler.scheduler")
"""Loggers that say something at INFO on every request or tick: WARNING and up only."""


class RedactSecrets(logging.Filter):
    """Replaces every secret in the message, the traceback and the stack of a record with ***."""

    _traceback = logging.Formatter()

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatted here, redacted, and cached where every Formatter looks for it first: an
            # exception's message may carry a URL with the bot token in it.
            record.exc_text = self._traceback.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def secret_values(settings: Settings) -> list[str]:
    values = [
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.shopify_webhook_secret,
        settings.woocommerce_webhook_secret,
        settings.erasure_key,
    ]
    found = [value.get_secret_value() for value in values if value is not None]
    # A proxy URL is secret for its credentials (as typed, and in every form bot/proxies.py writes
    # them); one without credentials is an address worth seeing in a log line.
    for typed in (settings.https_proxy, settings.http_proxy, settings.all_proxy):
        if typed is not None and "@" in typed.get_secret_value():
            found.append(typed.get_secret_value())
    return found + settings.proxies.secrets()


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and exc_info and
    stack_info when the record has them.

    The traceback is the record's `exc_text` as RedactSecrets left it (formatted once, redacted).
    python-json-logger was the alternative: it formats `exc_info` afresh, which brings a redacted
    secret back, and writes every `extra` field unredacted; this is the few lines we need instead.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry)  # ASCII-only: any text, even a lone surrogate, stays one valid line


def formatter(settings: Settings) -> logging.Formatter:
    return JsonLines() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(settings: Settings, level: int | None = None) -> None:
    """The root logger writes to stderr in LOG_FORMAT at LOG_LEVEL (or `level`), secrets redacted."""
    chosen = logging.getLevelNamesMapping()[settings.log_level] if level is None else level
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(settings))
    handler.addFilter(RedactSecrets(secret_values(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(chosen)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(chosen, logging.WARNING))
