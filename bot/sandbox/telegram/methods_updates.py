"""Bot API methods about receiving: getMe, getUpdates, webhooks, commands, answerCallbackQuery."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from starlette.requests import Request

from bot.sandbox.telegram.calls import Call, Described, Handler, resolve_chat
from bot.sandbox.telegram.errors import (
    QUERY_ID_INVALID,
    TERMINATED_BY_OTHER_POLL,
    TERMINATED_BY_WEBHOOK,
    WEBHOOK_ACTIVE,
    ApiError,
    bad_request,
    conflict,
)
from bot.sandbox.telegram.objects import bot_json
from bot.sandbox.telegram.state import WebhookConfig

T = TypeVar("T")
_SECRET = re.compile(r"[A-Za-z0-9_-]*")
_COMMAND = re.compile(r"[a-z0-9_]+")
_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}


async def get_me(call: Call) -> Any:
    return bot_json(call.state, full=True)


async def _until_disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        continue


async def _unless_disconnected(request: Request, waiting: Awaitable[T]) -> T | None:
    """Await `waiting`, giving up (None) if the client hangs up first, e.g. PTB stopping its Updater."""
    wait_task = asyncio.ensure_future(waiting)
    hangup_task = asyncio.ensure_future(_until_disconnect(request))
    try:
        await asyncio.wait({wait_task, hangup_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hangup_task.cancel()
        if not wait_task.done():
            wait_task.cancel()
    return wait_task.result() if wait_task.done() and not wait_task.cancelled() else None


async def get_updates(call: Call) -> Any:
    """Long polling: confirm below `offset`, then wait up to `timeout` s; a newer poll ends this one (409)."""
    state, params = call.state, call.params
    offset = params.integer("offset") or 0
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = max(params.number("timeout") or 0.0, 0.0)
    allowed = params.json_value("allowed_updates", "can't parse allowed_updates JSON array")
    with state.lock:
        if state.webhook is not None:
            raise conflict(WEBHOOK_ACTIVE)
        if isinstance(allowed, list):
            state.allowed_updates = [str(kind) for kind in allowed] or None
        state.confirm_updates(offset)
        state.poll_generation += 1
        generation = state.poll_generation
    state.changed()

    def check() -> list[dict[str, Any]] | ApiError | None:
        with state.lock:
            if state.poll_generation != generation:
                return conflict(TERMINATED_BY_OTHER_POLL)
            if state.webhook is not None:
                return conflict(TERMINATED_BY_WEBHOOK)
            updates = state.deliverable_updates(limit)
            if updates or state.closing:
                return [update.to_json() for update in updates]
            return None

    outcome = await _unless_disconnected(call.request, state.feed.wait_for(check, timeout))
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome or []


async def set_webhook(call: Call) -> Any:
    state, params = call.state, call.params
    url = params.text("url") or ""
    if not url:
        return await delete_webhook(call)
    parts = urlsplit(url)
    # A self-hosted Bot API server in --local mode accepts http:// and any port, so the sandbox does too.
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise bad_request("invalid webhook URL specified")
    secret = params.text("secret_token") or None
    if secret is not None and len(secret) > 256:
        raise bad_request("secret token is too long")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains illegal characters")
    max_connections = min(max(params.integer("max_connections") or 40, 1), 100)
    allowed = params.json_value("allowed_updates", "can't parse allowed_updates JSON array")
    allowed_list = [str(kind) for kind in allowed] if isinstance(allowed, list) and allowed else None
    with state.lock:
        if params.flag("drop_pending_updates"):
            state.updates.clear()
        old = state.webhook
        same = old is not None and (old.url, old.secret_token, old.max_connections, old.allowed_updates) == (
            url,
            secret,
            max_connections,
            allowed_list,
        )
        if not same:
            state.webhook = WebhookConfig(url, secret, max_connections, allowed_list)
        if isinstance(allowed, list):
            state.allowed_updates = allowed_list
    state.changed()
    call.pump.ensure_running()
    return Described(True, "Webhook is already set" if same else "Webhook was set")


async def delete_webhook(call: Call) -> Any:
    state = call.state
    with state.lock:
        if call.params.flag("drop_pending_updates"):
            state.updates.clear()
        existed = state.webhook is not None
        state.webhook = None
    state.changed()
    return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")


async def get_webhook_info(call: Call) -> Any:
    state = call.state
    with state.lock:
        webhook = state.webhook
        info: dict[str, Any] = {
            "url": webhook.url if webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(state.updates),
        }
        if webhook is not None:
            info.update(ip_address="127.0.0.1", max_connections=webhook.max_connections)
            if webhook.allowed_updates:
                info["allowed_updates"] = webhook.allowed_updates
            if webhook.last_error_date is not None:
                info.update(
                    last_error_date=webhook.last_error_date, last_error_message=webhook.last_error_message
                )
    return info


def _commands_key(call: Call) -> tuple[str, str]:
    """(scope, language) under which Telegram stores a command list; getMyCommands reads exactly that slot."""
    scope = call.params.json_value("scope", "can't parse BotCommandScope JSON object") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    key: dict[str, Any] = {"type": kind}
    if kind in {"chat", "chat_administrators", "chat_member"}:
        with call.state.lock:
            chat = resolve_chat(call.state, str(scope.get("chat_id") or ""))
        if kind == "chat_administrators":
            raise bad_request("can't use specified scope in private chats")
        key["chat_id"] = chat.user.id
        if kind == "chat_member":
            key["user_id"] = int(scope.get("user_id") or 0)
    language = call.params.text("language_code") or ""
    if language and not (len(language) == 2 and language.isascii() and language.isalpha()):
        raise bad_request("invalid language code specified")
    return json.dumps(key, sort_keys=True), language.lower()


async def set_my_commands(call: Call) -> Any:
    commands = call.params.json_value("commands", "can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    cleaned: list[dict[str, str]] = []
    for item in commands:
        command = str(item.get("command", "")) if isinstance(item, dict) else ""
        description = str(item.get("description", "")) if isinstance(item, dict) else ""
        command = command.removeprefix("/")
        if not command:
            raise bad_request("command must be non-empty")
        if len(command) > 32:
            raise bad_request("command length must not exceed 32")
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description length must not exceed 256")
        if not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        cleaned.append({"command": command, "description": description})
    key = _commands_key(call)
    with call.state.lock:
        if cleaned:
            call.state.commands[key] = cleaned
        else:
            call.state.commands.pop(key, None)
    call.state.changed()
    return True


async def get_my_commands(call: Call) -> Any:
    key = _commands_key(call)
    with call.state.lock:
        return list(call.state.commands.get(key, []))


async def delete_my_commands(call: Call) -> Any:
    key = _commands_key(call)
    with call.state.lock:
        call.state.commands.pop(key, None)
    call.state.changed()
    return True


async def answer_callback_query(call: Call) -> Any:
    """Each query may be answered once, within `callback_timeout` seconds (15 s, like Telegram)."""
    state, params = call.state, call.params
    query_id = params.text("callback_query_id") or ""
    with state.lock:
        query = state.callback_queries.get(query_id)
        if query is None or query.answered or state.monotonic() - query.created_at > state.callback_timeout:
            raise bad_request(QUERY_ID_INVALID)
        query.answered = True
        query.answer = {
            "text": params.text("text"),
            "show_alert": params.flag("show_alert"),
            "url": params.text("url"),
            "cache_time": params.integer("cache_time") or 0,
        }
    state.changed()
    return True


HANDLERS: dict[str, Handler] = {
    "getme": get_me,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "answercallbackquery": answer_callback_query,
}
