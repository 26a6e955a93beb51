"""Secrets never reach the log: not in a message, its arguments, a traceback or a stack."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.logsetup import NOISY, RedactSecrets, configure_logging

TOKEN = "123456:AAH-real-looking-bot-token"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactSecrets([TOKEN]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, out
    logger.removeHandler(handler)


def test_a_secret_in_the_message_or_its_arguments_is_replaced(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = logged
    logger.warning("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    logger.warning(f"token={TOKEN}")
    text = out.getvalue()
    assert TOKEN not in text
    assert text.count("***") == 2 and "/bot***/sendMessage" in text


def test_a_secret_in_an_exception_message_is_replaced_in_the_traceback(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = logged
    try:
        raise ConnectionError(f"Connection timeout to host https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError:
        logger.exception("could not reach Telegram")
    text = out.getvalue()
    assert "could not reach Telegram" in text and "Traceback" in text
    assert TOKEN not in text and "/bot***/getMe" in text


def test_a_secret_in_the_stack_is_replaced(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = logged
    # The stack shows this source line, secret and all.
    logger.warning("here", stack_info=True, extra={"t": "123456:AAH-real-looking-bot-token"})
    assert "Stack (most recent call last)" in out.getvalue()
    assert TOKEN not in out.getvalue()


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """configure_logging changes the root logger: put it back as it was afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY}
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in noisy.items():
        logging.getLogger(name).setLevel(was)


def _configured(root: logging.Logger, **settings: str) -> io.StringIO:
    configure_logging(Settings(_env_file=None, telegram_bot_token=TOKEN, **settings))  # type: ignore[call-arg]
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    out = io.StringIO()
    handler.setStream(out)
    return out


def test_log_format_json_writes_one_object_per_line_with_the_secrets_redacted_in_the_traceback_too(
    root_logging: logging.Logger,
) -> None:
    out = _configured(root_logging, log_format="json")
    log = logging.getLogger("retention.test")
    log.info("POST https://api.telegram.org/bot%s/sendMessage\nsecond line", TOKEN)
    try:
        raise ConnectionError(f"Connection timeout to host https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError:
        log.exception("could not reach Telegram")

    text = out.getvalue()
    assert TOKEN not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert set(first) == {"time", "level", "logger", "message"}
    assert (first["level"], first["logger"]) == ("INFO", "retention.test")
    assert first["message"] == "POST https://api.telegram.org/bot***/sendMessage\nsecond line"
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert second["level"] == "ERROR" and second["message"] == "could not reach Telegram"
    assert second["exc_info"].startswith("Traceback") and "/bot***/getMe" in second["exc_info"]


def test_log_level_is_read_case_insensitively_and_quiets_what_is_below_it(
    root_logging: logging.Logger,
) -> None:
    out = _configured(root_logging, log_level="warning")
    assert root_logging.level == logging.WARNING
    logging.getLogger("retention.test").info("not shown")
    logging.getLogger("retention.test").warning("shown %s", TOKEN)
    assert out.getvalue().endswith("WARNING retention.test: shown ***\n")
    assert "not shown" not in out.getvalue()


def test_log_level_debug_leaves_the_per_request_loggers_at_warning(root_logging: logging.Logger) -> None:
    _configured(root_logging, log_level="DEBUG")
    assert root_logging.level == logging.DEBUG
    assert logging.getLogger("httpx").level == logging.WARNING


@pytest.mark.parametrize(("name", "value"), [("log_level", "loud"), ("log_format", "xml")])
def test_a_bad_log_setting_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name.upper()):
        Settings(_env_file=None, **{name: value})  # type: ignore[arg-type]
