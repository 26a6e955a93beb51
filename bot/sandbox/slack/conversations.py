"""auth.test, users.* and conversations.*: identity lookups and reading channel history."""

from __future__ import annotations

import base64

from bot.sandbox.slack.methods import ApiError, Args, CallContext, Handler
from bot.sandbox.slack.models import JSON, Channel
from bot.sandbox.slack.records import Message
from bot.sandbox.slack.state import SandboxState


def auth_test(args: Args, ctx: CallContext) -> JSON:
    ws = ctx.state.ws
    return {
        "url": ws.url,
        "team": ws.team_name,
        "user": ws.bot_name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def users_info(args: Args, ctx: CallContext) -> JSON:
    user = ctx.state.users.get(args.text("user") or "")
    if user is None or not user.listed:
        raise ApiError("user_not_found")
    out = user.to_json(ctx.state.ws)
    if args.flag("include_locale"):
        out["locale"] = user.locale
    return {"user": out}


def users_lookup_by_email(args: Args, ctx: CallContext) -> JSON:
    email = (args.text("email") or "").lower()
    user = next((u for u in ctx.state.users.values() if u.email and u.email.lower() == email), None)
    if user is None:
        raise ApiError("users_not_found")
    return {"user": user.to_json(ctx.state.ws)}


def conversations_open(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    if args.text("channel"):
        channel = state.find_channel(args.text("channel") or "")
        if channel is None:
            raise ApiError("channel_not_found")
        return {"no_op": True, "already_open": True, "channel": _open_json(state, channel, args)}
    users = [u for u in (args.text("users") or "").split(",") if u]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 1:
        raise ApiError("not_supported", detail="the sandbox opens one-to-one DMs only")
    if users[0] not in state.users:
        raise ApiError("user_not_found")
    existed = any(c.is_im and c.im_user == users[0] for c in state.channels.values())
    channel = state.dm_channel(users[0])
    out: JSON = {"channel": _open_json(state, channel, args)}
    if existed:
        out.update(no_op=True, already_open=True)
    return out


def _open_json(state: SandboxState, channel: Channel, args: Args) -> JSON:
    return channel.to_json(state.ws) if args.flag("return_im") else {"id": channel.id}


def conversations_info(args: Args, ctx: CallContext) -> JSON:
    """Any public channel, member or not (`is_member` tells); a private one only to its members."""
    channel = ctx.state.channels.get(args.text("channel") or "")
    if channel is None or (channel.is_private and not channel.bot_member):
        raise ApiError("channel_not_found")
    return {"channel": channel.to_json(ctx.state.ws)}


def _readable(state: SandboxState, ref: str | None) -> Channel:
    channel = state.channels.get(ref or "")
    if channel is None or (channel.is_private and not channel.bot_member):
        raise ApiError("channel_not_found")  # private channels are invisible to non-members
    if not channel.is_im and not channel.bot_member:
        raise ApiError("not_in_channel")
    return channel


def _ts(args: Args, name: str, default: float) -> float:
    value = args.text(name)
    try:
        return default if value is None else float(value)
    except ValueError:
        raise ApiError(f"invalid_ts_{name}") from None


def _page(messages: list[Message], args: Args, default_limit: int) -> tuple[list[Message], str]:
    """Apply oldest/latest/inclusive and cursor pagination; return (page, next_cursor)."""
    oldest, latest = _ts(args, "oldest", 0.0), _ts(args, "latest", float("inf"))
    inclusive = args.flag("inclusive")
    chosen = [
        m for m in messages
        if (oldest < float(m.ts) or (inclusive and float(m.ts) == oldest))
        and (float(m.ts) < latest or (inclusive and float(m.ts) == latest))
    ]  # fmt: skip
    start = 0
    if cursor := args.text("cursor"):
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("next_index:"))
        except ValueError:
            raise ApiError("invalid_cursor") from None
    limit = max(1, min(args.number("limit", default_limit), 999))
    page = chosen[start : start + limit]
    more = start + limit < len(chosen)
    next_cursor = base64.b64encode(f"next_index:{start + limit}".encode()).decode() if more else ""
    return page, next_cursor


def _shown(state: SandboxState, message: Message, args: Args) -> JSON:
    """A message as history and replies return it: metadata only when `include_all_metadata` asks."""
    out = state.message_json(message)
    if not args.flag("include_all_metadata"):
        out.pop("metadata", None)
    return out


def conversations_history(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    channel = _readable(state, args.text("channel"))
    with state.locked():
        top = [
            m
            for m in state.messages.get(channel.id, [])
            if m.thread_ts in (None, m.ts) or m.extra.get("subtype") == "thread_broadcast"
        ]
        page, cursor = _page(list(reversed(top)), args, 100)
        messages = [_shown(state, m, args) for m in page]
    return {
        "messages": messages,
        "has_more": bool(cursor),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


def conversations_replies(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    channel = _readable(state, args.text("channel"))
    message = state.find_message(channel.id, args.text("ts") or "")
    if message is None:
        raise ApiError("thread_not_found")
    parent_ts = message.thread_ts or message.ts
    with state.locked():
        parent = state.find_message(channel.id, parent_ts)
        thread = ([parent] if parent else []) + state.replies(channel.id, parent_ts)
        page, cursor = _page(thread, args, 1000)
        messages = [_shown(state, m, args) for m in page]
    return {"messages": messages, "has_more": bool(cursor), "response_metadata": {"next_cursor": cursor}}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
}
