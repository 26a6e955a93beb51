"""Webhook delivery: POST each pending update, in order, to the webhook URL until it answers 2xx.

Like Telegram: one update per request, the `X-Telegram-Bot-Api-Secret-Token` header when a
secret is set, the update kept and retried after a failure (with growing pauses, much shorter
than Telegram's so tests stay fast), and the last error reported by getWebhookInfo in Telegram's
words ("Connection refused", "Wrong response from the webhook: 502 Bad Gateway", …). A method
call in the webhook's response body is not executed (Telegram would; the bot does not use it).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
from functools import partial

import httpx

from bot.sandbox.telegram.state import PendingUpdate, SandboxState, WebhookConfig

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookPump:
    """Runs on the event loop that serves the sandbox; started by setWebhook, stopped with the server."""

    def __init__(self, state: SandboxState, *, first_retry: float = 0.05, max_retry: float = 1.0) -> None:
        self.state = state
        self.first_retry = first_retry
        self.max_retry = max_retry
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), name="telegram-sandbox-webhook")
            self._task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return
        task.cancel()
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, Exception):
            raise outcome

    def _replaced(self, webhook: WebhookConfig) -> bool | None:
        return True if self.state.webhook is not webhook else None

    def _next(self) -> tuple[WebhookConfig, PendingUpdate] | None:
        with self.state.lock:
            webhook = self.state.webhook
            if webhook is None or self.state.closing:
                return None
            updates = self.state.deliverable_updates(1)
            return (webhook, updates[0]) if updates else None

    async def _run(self) -> None:
        failures = 0
        # Telegram's side calling the bot: never through the proxy this machine's environment names.
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0), trust_env=False) as client:
            while True:
                job = await self.state.feed.wait_for(self._next, timeout=None)
                if job is None:
                    continue
                webhook, update = job
                error = await self._post(client, webhook, update)
                self._record(webhook, update, error)
                if error is None:
                    failures = 0
                    continue
                failures += 1
                pause = min(self.first_retry * 2 ** (failures - 1), self.max_retry)
                # Wait out the pause, but retry at once if the webhook is changed or removed meanwhile.
                await self.state.feed.wait_for(partial(self._replaced, webhook), pause)

    async def _post(
        self, client: httpx.AsyncClient, webhook: WebhookConfig, update: PendingUpdate
    ) -> str | None:
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            response = await client.post(webhook.url, json=update.to_json(), headers=headers)
        except httpx.HTTPError as exc:
            logger.info("sandbox webhook delivery of update %s failed: %r", update.update_id, exc)
            return delivery_error(exc)
        if 200 <= response.status_code < 300:
            return None
        return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"

    def _record(self, webhook: WebhookConfig, update: PendingUpdate, error: str | None) -> None:
        with self.state.lock:
            if error is None:
                self.state.updates = [u for u in self.state.updates if u.update_id != update.update_id]
                self.state.stats.webhook_deliveries += 1
            else:
                webhook.last_error_date = self.state.now()
                webhook.last_error_message = error
                self.state.stats.webhook_failures += 1
        self.state.changed()


def delivery_error(exc: httpx.HTTPError) -> str:
    """A failed delivery as getWebhookInfo's last_error_message words it on api.telegram.org."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "Connection timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "Read timeout expired"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "Failed to resolve host: Name or service not known"
        if isinstance(cause, ssl.SSLError):
            return f"SSL error {{{cause.reason or cause}}}"
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "Connection refused"
        cause = cause.__cause__ or cause.__context__
    return "Connection refused" if isinstance(exc, httpx.ConnectError) else f"Connection failed: {exc}"


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("sandbox webhook pump stopped", exc_info=task.exception())
