"""What every API route shares: the key, the rate limit, the body, the errors. A route module
declares `Endpoint`s (method, path, body model, response models, handler) and nothing else.

Errors are JSON (`ErrorOut`): 400 with one message per bad field, 401 without a valid key, 404,
409, 413 (bot/body_limit.py), 429 with Retry-After.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.context import AppContext
from bot.services.api_keys import authenticate
from bot.services.errors import (
    AlreadyDone,
    AmbiguousCustomer,
    CustomerNotFound,
    DomainError,
    InvalidInput,
    OrderNotFound,
    RefundTooLarge,
    SuppressedCustomer,
)
from handlers.api.fields import Parsing
from handlers.api.ratelimit import RateLimiter
from handlers.api.schemas import ErrorOut

log = logging.getLogger(__name__)
T = TypeVar("T")

_NOT_FOUND: Final = (CustomerNotFound, OrderNotFound)
_CONFLICT: Final = (AlreadyDone, AmbiguousCustomer, RefundTooLarge, SuppressedCustomer)
LOOKUP_ERRORS: Final = (400, 401, 404, 429)
"""The errors of a GET or POST by a path parameter, without a body."""
ERROR_TEXT: Final = {
    400: "the request is not valid",
    401: "a valid API key is needed: Authorization: Bearer KEY",
    404: "not found",
    409: "conflicts with what is recorded",
    413: "the request body is over 256 KB",
    429: "too many requests for this key: wait Retry-After seconds",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = dict(fields) if fields else None
        self.headers: dict[str, str] = {}


@dataclass(frozen=True)
class ApiCall:
    """One authenticated request, as a route's handler sees it."""

    ctx: AppContext
    key_name: str
    params: Mapping[str, str]
    body: Any
    """The validated body model (None for routes without one)."""

    @property
    def actor(self) -> str:
        return f"api:{self.key_name}"

    async def run(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`service(uow, clock, *args, actor=<this key>, **kwargs)` in a worker thread (ctx.call)."""
        return await self.ctx.call(service, self.ctx.clock, *args, actor=self.actor, **kwargs)


@dataclass(frozen=True)
class Reply:
    status: int
    body: BaseModel


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """Under /api/v1, with Starlette's {param} placeholders."""
    summary: str
    handler: Callable[[ApiCall], Awaitable[Reply]]
    responses: Mapping[int, type[BaseModel]]
    """Success statuses and their bodies."""
    errors: tuple[int, ...]
    body: type[BaseModel] | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    """Path parameters and their descriptions."""


def error_response(error: ApiError) -> JSONResponse:
    body = ErrorOut(error=error.message, fields=error.fields).model_dump(exclude_none=True)
    headers = dict(error.headers)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="retention-bot"'
    return JSONResponse(body, status_code=error.status, headers=headers)


def _field_message(error: ErrorDetails) -> tuple[str, str]:
    name = ".".join(str(part) for part in error["loc"]) or "body"
    kind = error["type"]
    if kind == "missing":
        return name, "required"
    if kind == "extra_forbidden":
        return name, "unknown field"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return name, message


def validation_error(exc: ValidationError) -> ApiError:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name, message = _field_message(error)
        fields.setdefault(name, message)  # one message per field: the first problem found
    return ApiError(400, f"{len(fields)} field(s) not valid: {', '.join(fields)}", fields)


def domain_error(exc: DomainError) -> ApiError:
    if isinstance(exc, _NOT_FOUND):
        return ApiError(404, str(exc))
    if isinstance(exc, _CONFLICT):
        return ApiError(409, str(exc))
    if isinstance(exc, InvalidInput):
        return ApiError(400, str(exc))
    return ApiError(400, str(exc))


class Gate:
    """Key check and rate limit, shared by every endpoint of one server."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        api = ctx.rules.api
        self.limiter = RateLimiter(api.requests_per_second, api.burst)

    async def key_name(self, request: Request) -> str:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise ApiError(401, ERROR_TEXT[401])
        key = await self.ctx.call(authenticate, presented.strip())
        if key is None:
            raise ApiError(401, "the API key is not valid (unknown or revoked)")
        wait = self.limiter.take(key.name)
        if wait is not None:
            error = ApiError(429, f"too many requests for API key {key.name!r}; try again in {wait} s")
            error.headers["Retry-After"] = str(wait)
            raise error
        return key.name


async def _body(request: Request, model: type[BaseModel], parsing: Parsing) -> BaseModel:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "the body is not valid JSON", {"body": f"not valid JSON: {exc}"}) from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object", {"body": "must be a JSON object"})
    try:
        return model.model_validate(data, context=parsing)
    except ValidationError as exc:
        raise validation_error(exc) from None


def route(endpoint: Endpoint, gate: Gate, parsing: Callable[[], Parsing]) -> Route:
    async def serve(request: Request) -> Response:
        try:
            key_name = await gate.key_name(request)
            body = await _body(request, endpoint.body, parsing()) if endpoint.body is not None else None
            params = {k: str(v) for k, v in request.path_params.items()}
            for name, value in params.items():
                if not value.strip() or len(value) > 64:
                    raise ApiError(400, f"{name} is not valid", {name: "needs 1 to 64 characters"})
            call = ApiCall(gate.ctx, key_name, params, body)
            try:
                reply = await endpoint.handler(call)
            except DomainError as exc:
                raise domain_error(exc) from None
        except ApiError as error:
            return error_response(error)
        except ClientDisconnect:  # the caller hung up while sending: nobody to answer, nothing done
            return Response(status_code=499)
        except Exception:  # a fault, not the caller's mistake: logged with context, answered in JSON
            log.exception("API %s %s failed", endpoint.method, endpoint.path)
            return error_response(ApiError(500, "the request failed on our side; it is logged, try again"))
        return JSONResponse(reply.body.model_dump(mode="json"), status_code=reply.status)

    return Route(endpoint.path, serve, methods=[endpoint.method])
