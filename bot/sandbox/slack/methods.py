"""What every Web API method handler shares: argument access, errors, and the call context."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack.blocks import BlockError, parse_blocks
from bot.sandbox.slack.models import JSON
from bot.sandbox.slack.state import SandboxState


class ApiError(Exception):
    """An `ok: false` answer; `extra` carries fields such as response_metadata."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass(frozen=True)
class CallContext:
    state: SandboxState
    base_url: str  # how the caller reached us, so upload_url and permalinks point back here


class Args:
    """Method arguments merged from query, form and JSON; form values arrive as strings."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else str(value)

    def flag(self, name: str) -> bool:
        value = self._values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def number(self, name: str, default: int) -> int:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {name}"]}) from None

    def structured(self, name: str) -> Any:
        """A structured argument: JSON bodies send it as-is, form bodies as a JSON string."""
        value = self._values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ApiError(
                    "invalid_arguments", response_metadata={"messages": [f"[ERROR] {name}"]}
                ) from None
        return value

    def blocks(self, surface: str = "message") -> list[JSON] | None:
        raw = self._values.get("blocks")
        if raw is None or raw == "":
            return None
        try:
            return parse_blocks(raw, surface)
        except BlockError as exc:
            raise ApiError(exc.error, response_metadata={"messages": exc.messages}) from None


Handler = Callable[[Args, CallContext], JSON]
