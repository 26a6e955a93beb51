"""The Bot API over HTTP: `/bot<token>/<method>` and `/file/bot<token>/<file_path>`, with the real envelope.

Method names are case-insensitive and GET works as well as POST, as on api.telegram.org.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.sandbox.telegram import methods_messages, methods_profile, methods_updates
from bot.sandbox.telegram.calls import Call, Described, Handler
from bot.sandbox.telegram.errors import ApiError, not_found, unauthorized
from bot.sandbox.telegram.faults import BAD_GATEWAY_PAGE, BadGateway
from bot.sandbox.telegram.forms import read_params
from bot.sandbox.telegram.state import SandboxState
from bot.sandbox.telegram.webhook import WebhookPump

logger = logging.getLogger(__name__)
METHODS: dict[str, Handler] = {
    **methods_updates.HANDLERS,
    **methods_messages.HANDLERS,
    **methods_profile.HANDLERS,
}


def api_routes(state: SandboxState, pump: WebhookPump) -> list[BaseRoute]:
    async def method_endpoint(request: Request) -> Response:
        method = request.path_params["method"]
        with state.lock:
            state.stats.requests[method] += 1
        try:
            if request.path_params["token"] != state.token:
                raise unauthorized()
            handler = METHODS.get(method.lower())
            if handler is None:
                raise not_found()
            with state.lock:
                failing = state.failing.get(method.lower())
            if failing is not None:  # a test's outage of this one method (TelegramSandbox.fail_method)
                raise ApiError(*failing)
            try:
                params = await read_params(request)
            except ClientDisconnect:  # the bot gave up on the request (stopping mid-poll): no one to answer
                return Response(status_code=499)
            with state.lock:
                fault = state.faults.get(method.lower())
                fault = fault.take() if fault is not None else None
            refusal = fault.error() if fault is not None else None
            if isinstance(refusal, BadGateway):
                with state.lock:
                    state.stats.errors[502] += 1
                state.changed()
                return Response(BAD_GATEWAY_PAGE, status_code=502, media_type="text/html")
            if refusal is not None:
                raise refusal
            if fault is not None and not fault.acts_first:
                await asyncio.sleep(fault.delay)
            outcome = await handler(Call(state, params, request, pump))
            if fault is not None and fault.acts_first and fault.delay:
                await asyncio.sleep(fault.delay)  # done already: a client that gave up misses the answer
        except ApiError as error:
            with state.lock:
                state.stats.errors[error.code] += 1
            state.changed()
            logger.debug("sandbox %s -> %s %s", method, error.code, error.description)
            return JSONResponse(error.envelope(), status_code=error.code)
        body: dict[str, Any] = {"ok": True, "result": outcome}
        if isinstance(outcome, Described):
            body = {"ok": True, "result": outcome.result, "description": outcome.description}
        return JSONResponse(body)

    async def file_endpoint(request: Request) -> Response:
        if request.path_params["token"] != state.token:
            return JSONResponse(unauthorized().envelope(), status_code=401)
        with state.lock:
            upload = state.find_upload_by_path(request.path_params["file_path"])
        if upload is None:
            return JSONResponse(not_found().envelope(), status_code=404)
        return Response(upload.data, media_type=upload.mime_type or "application/octet-stream")

    return [
        Route("/bot{token}/{method}", method_endpoint, methods=["GET", "POST"]),
        Route("/file/bot{token}/{file_path:path}", file_endpoint, methods=["GET"]),
    ]
