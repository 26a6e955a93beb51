"""What a Bot API method handler receives and may return; shared by the method modules and the router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from bot.sandbox.telegram.errors import bad_request, forbidden, too_many_requests
from bot.sandbox.telegram.forms import Params
from bot.sandbox.telegram.state import ChatState, SandboxState

if TYPE_CHECKING:
    from bot.sandbox.telegram.webhook import WebhookPump


@dataclass
class Call:
    state: SandboxState
    params: Params
    request: Request
    pump: WebhookPump


@dataclass(frozen=True)
class Described:
    """A success that also carries a description, as setWebhook's `"description": "Webhook was set"`."""

    result: Any
    description: str


Handler = Callable[[Call], Awaitable[Any]]


def resolve_chat(state: SandboxState, raw: str | None) -> ChatState:
    """The private chat a chat_id names; bots cannot reach users by @username, hence "chat not found"."""
    if not raw:
        raise bad_request("chat_id is empty")
    try:
        chat_id = int(raw)
    except ValueError as exc:
        raise bad_request("chat not found") from exc
    chat = state.chat(chat_id)
    if chat is None:
        raise bad_request("chat not found")
    return chat


def ensure_reachable(chat: ChatState) -> None:
    if chat.blocked:
        raise forbidden("bot was blocked by the user")
    if not chat.started:
        raise forbidden("bot can't initiate conversation with a user")


def spend_flood_allowance(state: SandboxState, chat: ChatState) -> None:
    """Count one sent message against flood control, or refuse it with 429 (counted in stats)."""
    retry_after = state.flood.retry_after(chat.user.id)
    if retry_after is not None:
        state.stats.flood_429 += 1
        state.stats.flood_429_by_chat[chat.user.id] += 1
        raise too_many_requests(retry_after)
