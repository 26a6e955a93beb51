"""The /api/{method} endpoint: body parsing, token auth, scopes, rate limits, delays, then the handler."""

from __future__ import annotations

import asyncio
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.slack import chat, conversations, files, usergroups, views
from bot.sandbox.slack.methods import ApiError, Args, CallContext, Handler
from bot.sandbox.slack.rate_limit import RateLimiter
from bot.sandbox.slack.state import SandboxState

METHODS: dict[str, Handler] = {
    **chat.METHODS,
    **conversations.METHODS,
    **views.METHODS,
    **files.METHODS,
    **usergroups.METHODS,
}

# Slack documents only form encoding for these; a JSON body is not read, so its arguments are missing.
FORM_ONLY = frozenset({
    "auth.test", "users.info", "users.lookupByEmail", "conversations.history", "conversations.replies",
    "conversations.info", "chat.getPermalink", "files.getUploadURLExternal", "usergroups.users.list",
})  # fmt: skip
HISTORY = ("channels:history", "groups:history", "im:history", "mpim:history")
SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",), "chat.update": ("chat:write",), "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",), "users.info": ("users:read",),
    "users.lookupByEmail": ("users:read.email",), "conversations.open": ("im:write",),
    "conversations.info": ("channels:read", "groups:read", "im:read"), "conversations.history": HISTORY,
    "conversations.replies": HISTORY, "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",), "usergroups.list": ("usergroups:read",),
    "usergroups.users.list": ("usergroups:read",),
}  # fmt: skip


def _form(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                fields[name] = payload.decode("utf-8", "replace")
        return fields
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def _arguments(request: Request, method: str) -> dict[str, Any]:
    """Query values first, then the body's, as slack-sdk may split one call across both."""
    values: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if content_type.startswith("application/json"):
        if method in FORM_ONLY or not body:
            return values
        parsed = json.loads(body)
        if not isinstance(parsed, dict):
            raise ApiError("json_not_object")
        parsed.pop("token", None)  # Slack reads tokens from JSON bodies only via the Authorization header
        return {**values, **parsed}
    return {**values, **_form(content_type, body)}


def routes(state: SandboxState, limiter: RateLimiter) -> list[Route]:
    def _record(method: str, error: str | None) -> None:
        with state.locked():
            state.api_calls.append((method, error))
            state.touch()

    async def call(request: Request) -> Response:
        method = request.path_params["method"]
        handler = METHODS.get(method)
        if handler is None:
            return JSONResponse({"ok": False, "error": "unknown_method", "req_method": method})
        try:
            values = await _arguments(request, method)
        except json.JSONDecodeError:
            return JSONResponse({"ok": False, "error": "invalid_json"})
        except ApiError as exc:
            return JSONResponse({"ok": False, "error": exc.error})
        auth = request.headers.get("authorization", "")
        token = (
            auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else values.pop("token", "")
        )
        values.pop("token", None)
        if not token:
            return JSONResponse({"ok": False, "error": "not_authed"})
        if token != state.ws.bot_token:
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        scopes = {
            "x-oauth-scopes": ",".join(state.ws.scopes),
            "x-accepted-oauth-scopes": ",".join(SCOPES.get(method, ())),
        }
        needed = SCOPES.get(method, ())
        if needed and not set(needed) & set(state.ws.scopes):
            body = {
                "ok": False,
                "error": "missing_scope",
                "needed": needed[0],
                "provided": ",".join(state.ws.scopes),
            }
            return JSONResponse(body, headers=scopes)
        retry_after = limiter.retry_after(method, token)
        if retry_after is not None:
            _record(method, "ratelimited")
            return JSONResponse(
                {"ok": False, "error": "ratelimited"},
                status_code=429,
                headers={"Retry-After": str(retry_after)},
            )
        delay = state.delays.get(method)
        if delay is not None and not delay.acts_first:
            await asyncio.sleep(delay.seconds)
        try:
            result = handler(Args(values), CallContext(state=state, base_url=str(request.base_url)))
            response = JSONResponse({"ok": True, **result}, headers=scopes)
            _record(method, None)
        except ApiError as exc:
            response = JSONResponse({"ok": False, "error": exc.error, **exc.extra}, headers=scopes)
            _record(method, exc.error)
        if delay is not None and delay.acts_first:  # done already: a client that gives up misses the answer
            await asyncio.sleep(delay.seconds)
        return response

    return [Route("/api/{method}", call, methods=["GET", "POST"])]
