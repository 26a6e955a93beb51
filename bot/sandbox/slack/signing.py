"""Signing and delivering requests to the app exactly as Slack does (v0 HMAC-SHA256 scheme)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass(frozen=True)
class Signing:
    """How to sign one request; tests use it to forge a wrong secret or a stale timestamp."""

    secret: str | None = None  # None: the workspace's signing secret
    timestamp_offset: int = 0  # seconds added to now; -301 is just past Bolt's 5-minute window


@dataclass
class AppResponse:
    """What the app answered: its ack. `status` is 0 when it did not answer (in time, or at all)."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    event_id: str | None = None
    error: str | None = None  # what Slack would show the user: dispatch_failed, operation_timeout, …
    failure: str | None = None
    """Why the delivery failed, as Slack's X-Slack-Retry-Reason names it (http_timeout,
    connection_failed, http_error); None when the app answered 2xx."""

    @property
    def timed_out(self) -> bool:
        return self.failure == "http_timeout"

    @property
    def retryable(self) -> bool:
        """Slack retries an Events API delivery that failed, unless the app said X-Slack-No-Retry: 1."""
        return self.failure is not None and self.headers.get("x-slack-no-retry") != "1"

    def json(self) -> Any:
        """The body parsed as JSON; `{}` for the empty body of a plain ack."""
        return json.loads(self.body) if self.body.strip() else {}


def signature(secret: str, timestamp: str, body: str) -> str:
    """`v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}`, the value of `X-Slack-Signature`."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


async def deliver(
    url: str,
    body: str,
    content_type: str,
    secret: str,
    signing: Signing | None = None,
    extra_headers: Mapping[str, str] | None = None,
    ack_timeout: float = 3.0,
) -> AppResponse:
    """POST a signed request and return the ack; a timeout is a result (Slack shows an error), not a raise."""
    signing = signing or Signing()
    timestamp = str(int(time.time()) + signing.timestamp_offset)
    headers = {
        "Content-Type": content_type,
        "User-Agent": SLACK_USER_AGENT,
        "Accept": "application/json,*/*",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(signing.secret or secret, timestamp, body),
        **(extra_headers or {}),
    }
    started = time.monotonic()
    # Slack's side calling the bot: never through the proxy this machine's environment names.
    async with httpx.AsyncClient(timeout=ack_timeout, trust_env=False) as client:
        try:
            response = await client.post(url, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return AppResponse(status=0, body="", elapsed=time.monotonic() - started, failure="http_timeout")
        except httpx.TransportError:  # refused, reset, or the app's process died mid-request
            elapsed = time.monotonic() - started
            return AppResponse(status=0, body="", elapsed=elapsed, failure="connection_failed")
    return AppResponse(
        status=response.status_code,
        body=response.text,
        headers=dict(response.headers),
        elapsed=time.monotonic() - started,
        failure=None if 200 <= response.status_code < 300 else "http_error",
    )
