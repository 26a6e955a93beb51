"""The driver over HTTP under /sandbox/..., for the playground page (and anything not in-process).

JSON in, JSON out. A driver misuse (unknown chat, a button that is not there) answers 400 with
{"error": "..."}; the playground shows it instead of pretending the tap happened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.sandbox.telegram.errors import SandboxError
from bot.sandbox.telegram.objects import user_json

if TYPE_CHECKING:
    from bot.sandbox.telegram.driver import TelegramSandbox

Endpoint = Callable[[Request], Awaitable[Response]]


async def _body(request: Request) -> dict[str, Any]:
    if not await request.body():
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise SandboxError("expected a JSON object")
    return data


def _chat_id(request: Request) -> int:
    return int(request.path_params["chat_id"])


def _number(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    try:
        return default if raw is None else float(raw)
    except ValueError as exc:
        raise SandboxError(f"{name} must be a number, not {raw!r}") from exc


def driver_routes(sandbox: TelegramSandbox) -> list[BaseRoute]:
    def endpoint(action: Callable[[Request], Awaitable[Any]]) -> Endpoint:
        async def run(request: Request) -> Response:
            try:
                result = await action(request)
            except SandboxError as error:
                return JSONResponse({"error": str(error)}, status_code=400)
            return result if isinstance(result, Response) else JSONResponse(result)

        return run

    async def create_user(request: Request) -> Any:
        body = await _body(request)
        fields = ("user_id", "last_name", "username", "language_code", "phone_number", "started")
        user = sandbox.create_user(
            body.get("first_name", "Test"), **{k: body[k] for k in fields if k in body}
        )
        return user_json(user) | {"phone_number": user.phone_number}

    async def list_users(request: Request) -> Any:
        return [user_json(u) | {"phone_number": u.phone_number} for u in sandbox.users()]

    async def push_text(request: Request) -> Any:
        body = await _body(request)
        return sandbox.push_text(_chat_id(request), str(body.get("text", "")))

    async def push_contact(request: Request) -> Any:
        body = await _body(request)
        return sandbox.push_contact(_chat_id(request), body.get("phone_number"))

    async def press_reply_button(request: Request) -> Any:
        return sandbox.press_reply_button(_chat_id(request), str((await _body(request)).get("text", "")))

    async def tap_button(request: Request) -> Any:
        body = await _body(request)
        query_id = sandbox.tap_button(
            _chat_id(request), body.get("message_id"), data=body.get("data"), text=body.get("text")
        )
        return {"callback_query_id": query_id}

    async def transcript(request: Request) -> Any:
        chat_id = _chat_id(request)
        with sandbox.state.lock:
            blocked = sandbox.state.chats[chat_id].blocked if chat_id in sandbox.state.chats else False
        return {
            "messages": [m.to_json() for m in sandbox.transcript(chat_id)],
            "reply_keyboard": sandbox.reply_keyboard(chat_id),
            "chat_action": sandbox.chat_action(chat_id),
            "menu_commands": sandbox.menu_commands(chat_id),
            "blocked": blocked,
        }

    async def set_blocked(request: Request) -> Any:
        blocked = bool((await _body(request)).get("blocked", True))
        (sandbox.block if blocked else sandbox.unblock)(_chat_id(request))
        return {"blocked": blocked}

    async def callback_answer(request: Request) -> Any:
        return {"answer": sandbox.callback_answer(request.path_params["query_id"])}

    async def poll(request: Request) -> Any:
        """Long poll for any change: answers {"version": N} once the state version exceeds `since`."""
        since = _number(request, "since", 0)
        timeout = min(_number(request, "timeout", 25), 60.0)
        feed = sandbox.state.feed
        await feed.wait_for(lambda: True if feed.version > since or sandbox.state.closing else None, timeout)
        return {"version": feed.version}

    async def download(request: Request) -> Any:
        upload = sandbox.file(request.path_params["file_id"])
        disposition = f'inline; filename="{(upload.filename or "file").replace(chr(34), "")}"'
        return Response(
            upload.data,
            media_type=upload.mime_type or "image/jpeg",
            headers={"Content-Disposition": disposition},
        )

    async def set_clock(request: Request) -> Any:
        offset = float((await _body(request)).get("offset_seconds", 0))
        sandbox.set_clock_offset(timedelta(seconds=offset))
        return {"offset_seconds": offset}

    async def reset(request: Request) -> Any:
        sandbox.reset()
        return {"ok": True}

    async def stats(request: Request) -> Any:
        current = sandbox.stats
        webhook = sandbox.webhook()
        return {
            "requests": dict(current.requests),
            "errors": {str(code): n for code, n in current.errors.items()},
            "flood_429": current.flood_429,
            "webhook_deliveries": current.webhook_deliveries,
            "webhook_failures": current.webhook_failures,
            "pending_updates": len(sandbox.pending_updates()),
            "webhook_url": webhook.url if webhook else None,
            "version": sandbox.state.feed.version,
        }

    chat = "/sandbox/chats/{chat_id:int}"
    return [
        Route("/sandbox/users", endpoint(create_user), methods=["POST"]),
        Route("/sandbox/users", endpoint(list_users), methods=["GET"]),
        Route(f"{chat}/messages", endpoint(push_text), methods=["POST"]),
        Route(f"{chat}/contact", endpoint(push_contact), methods=["POST"]),
        Route(f"{chat}/reply-button", endpoint(press_reply_button), methods=["POST"]),
        Route(f"{chat}/callback", endpoint(tap_button), methods=["POST"]),
        Route(f"{chat}/transcript", endpoint(transcript), methods=["GET"]),
        Route(f"{chat}/block", endpoint(set_blocked), methods=["POST"]),
        Route("/sandbox/callbacks/{query_id}", endpoint(callback_answer), methods=["GET"]),
        Route("/sandbox/poll", endpoint(poll), methods=["GET"]),
        Route("/sandbox/files/{file_id}", endpoint(download), methods=["GET"]),
        Route("/sandbox/clock", endpoint(set_clock), methods=["POST"]),
        Route("/sandbox/reset", endpoint(reset), methods=["POST"]),
        Route("/sandbox/stats", endpoint(stats), methods=["GET"]),
    ]
