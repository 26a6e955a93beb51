"""The one error boundary of the Slack side: domain errors become polite replies, anything else is
logged with context and answered with an apology, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.i18n import Translator
from bot.services.authorization import PurchaseOverCap, RoleRequired
from bot.services.errors import (
    AlreadyDone,
    AmbiguousCustomer,
    CustomerNotFound,
    DomainError,
    NotAllowed,
    OrderNotFound,
)
from bot.services.inbound import InboundReplayed
from handlers.slack.blocks.common import clip, escape, money
from storage.models import Customer

log = logging.getLogger(__name__)

Reply = Callable[[str], Awaitable[Any]]
"""Shows a line of text to the person who acted (an ephemeral message)."""


class UsageError(Exception):
    """The arguments do not fit the subcommand: the reply is its usage line."""


def describe_error(error: DomainError, t: Translator) -> str:
    if isinstance(error, CustomerNotFound):
        return t.format("slack.error.customer_not_found", query=escape(clip(error.query, 100)))
    if isinstance(error, AmbiguousCustomer):
        shown = [c for c in error.candidates if isinstance(c, Customer)][:10]
        lines = "\n".join(f"• {escape(c.name or '—')} — `{escape(c.external_id)}`" for c in shown)
        return t.format(
            "slack.error.ambiguous", query=escape(clip(error.query, 100)), count=len(error.candidates)
        ) + ("\n" + lines if lines else "")
    if isinstance(error, PurchaseOverCap):
        return t.format(
            "slack.access.purchase_over_cap", amount=money(t, error.amount), cap=money(t, error.cap)
        )
    if isinstance(error, RoleRequired):
        role = t.format(f"slack.access.role.{error.needed}")
        what = t.format("slack.access.what.command")
        return t.format("slack.access.needs", what=what, role=role)
    if isinstance(error, NotAllowed):
        return t.format("slack.error.not_admin")
    if isinstance(error, OrderNotFound):
        return t.format("slack.error.order_not_found", order=escape(error.order_id))
    if isinstance(error, AlreadyDone):
        return t.format("slack.error.already_done", detail=escape(str(error)))
    return t.format("slack.error.invalid", detail=escape(str(error)))


async def answering(
    reply: Reply,
    t: Translator,
    work: Awaitable[None],
    *,
    what: str,
    usage: Callable[[], str] | None = None,
) -> None:
    """Run `work`; tell the person what went wrong in words they can act on."""
    try:
        await work
    except InboundReplayed as replay:  # another delivery of the same event did it: say nothing
        log.info("slack: %s: %s", what, replay)
    except UsageError:
        await reply(usage() if usage else t.format("slack.error.generic"))
    except DomainError as error:
        await reply(describe_error(error, t))
    except Exception:
        log.exception("slack: %s failed", what)
        await reply(t.format("slack.error.generic"))
