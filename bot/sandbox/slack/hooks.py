"""response_url: how an app answers a slash command or action after (or instead of) its ack."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.slack.blocks import BlockError, parse_blocks
from bot.sandbox.slack.chat import add_ephemeral, bot_message
from bot.sandbox.slack.methods import ApiError
from bot.sandbox.slack.models import JSON
from bot.sandbox.slack.records import ResponseUrl
from bot.sandbox.slack.state import SandboxState

RESPONSE_URL_TTL = 30 * 60  # Slack: usable up to five times within thirty minutes
RESPONSE_URL_USES = 5


def issue_response_url(
    state: SandboxState, base_url: str, channel: str, user: str, original: tuple[str, str] | None = None
) -> str:
    token = state.new_id("", 24)
    with state.locked():
        state.response_urls[token] = ResponseUrl(
            token=token, channel=channel, user=user, issued_at=state.now(), original=original
        )
    return f"{base_url}hooks/response/{state.ws.team_id}/{token}"


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def apply_response(state: SandboxState, hook: ResponseUrl, payload: JSON, source: str) -> None:
    """Post, replace or delete as Slack does for a response_url body (or a command's ack body)."""
    try:
        blocks = parse_blocks(payload["blocks"]) if payload.get("blocks") else None
    except BlockError as exc:
        raise ApiError(exc.error, response_metadata={"messages": exc.messages}) from None
    text = payload.get("text")
    channel = state.channels[hook.channel]
    with state.locked():
        kind, ts = hook.original or ("", "")
        message = state.find_message(channel.id, ts) if kind == "message" else None
        ephemeral = state.find_ephemeral(hook.user, ts) if kind == "ephemeral" else None
        if _truthy(payload.get("delete_original")):
            if message is not None:
                state.messages[channel.id].remove(message)
            if ephemeral is not None:
                ephemeral.deleted = True
            state.touch()
            return
        if not text and not blocks and not payload.get("attachments"):
            raise ApiError("no_text")
        if _truthy(payload.get("replace_original")) and (message or ephemeral):
            for target in (message, ephemeral):
                if target is not None:
                    target.text, target.blocks = str(text or ""), blocks
                    target.attachments = payload.get("attachments")
            state.touch()
            return
        thread_ts = payload.get("thread_ts")
        if payload.get("response_type") == "in_channel":
            message = bot_message(
                state,
                channel,
                str(text or ""),
                blocks=blocks,
                attachments=payload.get("attachments"),
                thread_ts=thread_ts,
            )
            hook.original = ("message", message.ts) if hook.original is None else hook.original
        else:
            ephemeral = add_ephemeral(
                state,
                channel.id,
                hook.user,
                str(text or ""),
                blocks,
                payload.get("attachments"),
                thread_ts,
                source,
            )
            hook.original = ("ephemeral", ephemeral.ts) if hook.original is None else hook.original


def routes(state: SandboxState) -> list[Route]:
    async def respond(request: Request) -> Response:
        hook = state.response_urls.get(request.path_params["token"])
        if hook is None:
            return JSONResponse({"ok": False, "error": "invalid_token"}, status_code=404)
        if state.now() - hook.issued_at > RESPONSE_URL_TTL:
            return JSONResponse({"ok": False, "error": "expired_url"}, status_code=404)
        if hook.uses >= RESPONSE_URL_USES:
            return JSONResponse({"ok": False, "error": "used_url"}, status_code=404)
        try:
            payload = json.loads(await request.body())
        except json.JSONDecodeError:
            return JSONResponse({"ok": False, "error": "invalid_payload"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"ok": False, "error": "invalid_payload"}, status_code=400)
        try:
            apply_response(state, hook, payload, "response_url")
        except ApiError as exc:
            return JSONResponse({"ok": False, "error": exc.error, **exc.extra}, status_code=400)
        hook.uses += 1
        return JSONResponse({"ok": True})

    return [Route("/hooks/response/{team}/{token}", respond, methods=["POST"])]
