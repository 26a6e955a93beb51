"""Secrets never reach the log: not in a message, its arguments, a traceback or a stack."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logsetup import RedactSecrets

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
