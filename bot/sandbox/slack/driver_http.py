"""The driver over HTTP under /sandbox/, for the demo playground page (JSON in, JSON out)."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.slack.driver import SlackDriver
from bot.sandbox.slack.models import JSON, SandboxError
from bot.sandbox.slack.signing import AppResponse

Endpoint = Callable[[Request], Awaitable[Response]]


def _ack(response: AppResponse | None) -> JSON | None:
    if response is None:
        return None
    return {
        "status": response.status,
        "body": response.body,
        "error": response.error,
        "event_id": response.event_id,
        "elapsed": round(response.elapsed, 4),
    }


async def _body(request: Request) -> JSON:
    raw = await request.body()
    data: Any = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise SandboxError("send a JSON object")
    return data


def _need(data: JSON, key: str) -> Any:
    if data.get(key) in (None, ""):
        raise SandboxError(f"missing {key!r}")
    return data[key]


def _guest(value: Any) -> Literal["multi", "single"] | None:
    if value in (None, "", False):
        return None
    if value not in ("multi", "single"):
        raise SandboxError("guest is 'multi' or 'single'")
    return "multi" if value == "multi" else "single"


def _endpoint(handler: Callable[[Request], Awaitable[Any]]) -> Endpoint:
    """Answer with the handler's JSON; sandbox misuse and bad JSON become 400 with a message."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except (SandboxError, ValueError) as exc:  # ValueError: bad JSON or numbers
            return JSONResponse({"error": str(exc)}, status_code=400)
        return result if isinstance(result, Response) else JSONResponse(result)

    return endpoint


def routes(driver: SlackDriver) -> list[Route]:
    state = driver.state

    async def workspace(request: Request) -> Any:
        ws = state.ws
        return {
            "team": {"id": ws.team_id, "name": ws.team_name, "domain": ws.domain},
            "bot": {"user_id": ws.bot_user_id, "name": ws.bot_name},
            "app_url": ws.app_url,
            "users": [u.to_json(ws) for u in state.users.values()],
            "channels": [c.to_json(ws) | {"members": sorted(c.members)} for c in state.channels.values()],
        }

    async def add_user(request: Request) -> Any:
        d = await _body(request)
        return {
            "id": driver.add_user(
                _need(d, "name"),
                real_name=d.get("real_name"),
                is_admin=bool(d.get("is_admin")),
                tz=d.get("tz", "UTC"),
                email=d.get("email"),
                channels=d.get("channels", []),
                guest=_guest(d.get("guest")),
                team_id=d.get("team_id"),
                listed=bool(d.get("listed", True)),
            )
        }

    async def add_channel(request: Request) -> Any:
        d = await _body(request)
        return {
            "id": driver.add_channel(
                _need(d, "name"), members=d.get("members", []), is_private=bool(d.get("is_private"))
            )
        }

    async def connect(request: Request) -> Any:
        d = await _body(request)
        driver.connect_app(_need(d, "url"), signing_secret=d.get("signing_secret"))
        return {"ok": True}

    async def clock(request: Request) -> Any:
        driver.advance_clock(float(_need(await _body(request), "advance")))
        return {"now": state.now()}

    async def command(request: Request) -> Any:
        d = await _body(request)
        return _ack(
            await driver.send_slash_command(
                _need(d, "command"), d.get("text", ""), user=_need(d, "user"), channel=_need(d, "channel")
            )
        )

    async def action(request: Request) -> Any:
        d = await _body(request)
        return _ack(
            await driver.press_button(
                _need(d, "action_id"),
                user=_need(d, "user"),
                channel=d.get("channel"),
                ts=d.get("ts"),
                view_id=d.get("view_id"),
                block_id=d.get("block_id"),
                value=d.get("value"),
            )
        )

    async def shortcut(request: Request) -> Any:
        d = await _body(request)
        return _ack(
            await driver.message_shortcut(
                _need(d, "callback_id"), user=_need(d, "user"), channel=_need(d, "channel"), ts=_need(d, "ts")
            )
        )

    async def submit(request: Request) -> Any:
        d = await _body(request)
        return _ack(await driver.submit_view(request.path_params["view_id"], d.get("values")))

    async def close(request: Request) -> Any:
        return {"ack": _ack(await driver.close_view(request.path_params["view_id"]))}

    async def message(request: Request) -> Any:
        d = await _body(request)
        ts, response = await driver.post_user_message(
            _need(d, "text"), user=_need(d, "user"), channel=_need(d, "channel"), thread_ts=d.get("thread_ts")
        )
        return {"ts": ts, "ack": _ack(response)}

    async def app_home(request: Request) -> Any:
        return _ack(await driver.open_app_home(_need(await _body(request), "user")))

    async def event(request: Request) -> Any:
        d = await _body(request)
        return _ack(await driver.send_event(_need(d, "event"), event_id=d.get("event_id")))

    async def retry(request: Request) -> Any:
        d = await _body(request)
        reason = str(d.get("retry_reason", "http_timeout"))
        return _ack(
            await driver.retry_event(
                request.path_params["event_id"], retry_num=int(d.get("retry_num", 1)), retry_reason=reason
            )
        )

    async def history(request: Request) -> Any:
        return {
            "messages": driver.messages(
                request.path_params["channel"], thread_ts=request.query_params.get("thread_ts")
            )
        }

    async def ephemerals(request: Request) -> Any:
        q = request.query_params
        return {"messages": driver.ephemerals(user=q.get("user"), channel=q.get("channel"))}

    async def home(request: Request) -> Any:
        return {"view": driver.home_view(request.path_params["user"])}

    async def modals(request: Request) -> Any:
        return {"views": driver.open_modals(request.path_params["user"])}

    async def file(request: Request) -> Any:
        file_id = request.path_params["file_id"]
        name = state.files[file_id].name if file_id in state.files else ""
        return Response(
            driver.file_content(file_id),
            media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        )

    async def changes(request: Request) -> Any:
        """Long poll: answers once the state version passes `since` (or at `timeout`)."""
        since = int(request.query_params.get("since", "-1"))
        timeout = min(float(request.query_params.get("timeout", "25")), 60.0)
        try:
            version = await driver.wait_for(
                lambda: state.version if state.version > since else None, within=timeout, what="change"
            )
        except TimeoutError:
            version = state.version  # nothing changed: the page simply asks again
        return {"version": version}

    get, post = ["GET"], ["POST"]
    table: list[tuple[str, Callable[[Request], Awaitable[Any]], list[str]]] = [
        ("/sandbox/workspace", workspace, get), ("/sandbox/users", add_user, post),
        ("/sandbox/channels", add_channel, post), ("/sandbox/app", connect, post),
        ("/sandbox/clock", clock, post),
        ("/sandbox/commands", command, post), ("/sandbox/actions", action, post),
        ("/sandbox/shortcuts", shortcut, post), ("/sandbox/views/{view_id}/submit", submit, post),
        ("/sandbox/views/{view_id}/close", close, post), ("/sandbox/messages", message, post),
        ("/sandbox/app_home", app_home, post), ("/sandbox/events", event, post),
        ("/sandbox/events/{event_id}/retry", retry, post),
        ("/sandbox/channels/{channel}/messages", history, get), ("/sandbox/ephemerals", ephemerals, get),
        ("/sandbox/home/{user}", home, get), ("/sandbox/modals/{user}", modals, get),
        ("/sandbox/files/{file_id}", file, get), ("/sandbox/changes", changes, get),
    ]  # fmt: skip
    return [Route(path, _endpoint(handler), methods=methods) for path, handler, methods in table]
