"""What people do in Slack, sent to the app as Slack sends it: signed, with triggers and response_urls."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bot.sandbox.slack import payloads
from bot.sandbox.slack.hooks import apply_response, issue_response_url
from bot.sandbox.slack.methods import ApiError
from bot.sandbox.slack.models import JSON, Channel, SandboxError
from bot.sandbox.slack.records import Message, Trigger
from bot.sandbox.slack.signing import AppResponse, Signing, deliver
from bot.sandbox.slack.state import SandboxState

FORM = "application/x-www-form-urlencoded"
SLACK_EVENT_RETRIES: Final = (0.0, 60.0, 300.0)
"""Slack's own schedule for an Events API delivery that failed (no 2xx within 3 s, a refused or
broken connection): a retry at once, one after a minute, one after five more, then it gives up."""


@dataclass(frozen=True)
class EventDelivery:
    """One POST of an event envelope to the app: the first (retry_num None) or a retry."""

    event_id: str
    retry_num: int | None
    status: int
    failure: str | None


class Interactions:
    """Slash commands, people's messages and Events API deliveries, plus shared plumbing.

    `event_retries`: the delays (seconds, each after the previous failure) of the retries of an
    event delivery that failed, as Slack makes them with X-Slack-Retry-Num / X-Slack-Retry-Reason;
    `SLACK_EVENT_RETRIES` is Slack's schedule. Empty (the default): no automatic retries, so a test
    sees exactly the deliveries it makes. Slash commands and interactions are never retried (Slack
    shows the person an error instead).
    """

    def __init__(
        self,
        state: SandboxState,
        base_url: str,
        ack_timeout: float = 3.0,
        event_retries: Sequence[float] = (),
    ) -> None:
        self.state = state
        self.base_url = base_url  # ends with "/"
        self.ack_timeout = ack_timeout
        self.event_retries = tuple(event_retries)
        self.event_deliveries: list[EventDelivery] = []
        self._envelopes: dict[str, str] = {}
        self._retrying: set[asyncio.Task[None]] = set()

    # --- plumbing --------------------------------------------------------------------
    def issue_trigger_id(self, user: str) -> str:
        """A trigger_id as an interaction by `user` would carry (valid once, for three seconds)."""
        state = self.state
        trigger_id = f"{state.next_seq():013d}.{int(state.now())}.{secrets.token_hex(16)}"
        with state.locked():
            state.triggers[trigger_id] = Trigger(id=trigger_id, user=user, issued_at=state.now())
        return trigger_id

    def _user(self, user: str) -> str:
        if user not in self.state.users:
            raise SandboxError(f"no user {user!r} in the sandbox workspace")
        return user

    def _channel_for(self, user: str, ref: str) -> Channel:
        channel = self.state.find_channel(ref)
        if channel is None:
            raise SandboxError(f"no channel {ref!r}")
        if user not in channel.members:
            raise SandboxError(f"{user} is not a member of {channel.id}; add them first")
        return channel

    async def _send(
        self, body: str, content_type: str, signing: Signing | None, headers: Mapping[str, str] | None = None
    ) -> AppResponse:
        url = self.state.ws.app_url
        if url is None:
            raise SandboxError("no app connected: call connect_app(url) first")
        return await deliver(
            url, body, content_type, self.state.ws.signing_secret, signing, headers, self.ack_timeout
        )

    async def _interact(self, payload: JSON, signing: Signing | None) -> AppResponse:
        return await self._send(payloads.interactive_body(payload), FORM, signing)

    # --- slash commands and messages ---------------------------------------------------
    async def send_slash_command(
        self, command: str, text: str = "", *, user: str, channel: str, signing: Signing | None = None
    ) -> AppResponse:
        """Type `/command text` in `channel`; a non-empty ack body is shown as Slack shows it."""
        target = self._channel_for(self._user(user), channel)
        response_url = issue_response_url(self.state, self.base_url, target.id, user)
        body = payloads.slash_command_body(
            self.state, command, text, user, target, self.issue_trigger_id(user), response_url
        )
        response = await self._send(body, FORM, signing)
        if response.status == 200 and response.body.strip():
            is_json = response.headers.get("content-type", "").startswith("application/json")
            parsed = response.json() if is_json else None
            ack = parsed if isinstance(parsed, dict) else {"text": response.body}
            hook = self.state.response_urls[response_url.rsplit("/", 1)[-1]]
            try:
                apply_response(self.state, hook, ack, "ack")
            except ApiError as exc:
                response.error = exc.error
        elif response.status != 200:
            response.error = "operation_timeout" if response.timed_out else "dispatch_failed"
        return response

    async def post_user_message(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        thread_ts: str | None = None,
        signing: Signing | None = None,
    ) -> tuple[str, AppResponse | None]:
        """A person posts in a channel or thread; the app gets the message event if it is a member."""
        target = self._channel_for(self._user(user), channel)
        state = self.state
        rich = [
            {
                "type": "rich_text",
                "block_id": state.new_id("", 5).lower(),
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        ]
        parent = state.find_message(target.id, thread_ts) if thread_ts else None
        if thread_ts and parent is None:
            raise SandboxError(f"no message {thread_ts} in {target.id} to reply to")
        team = state.users[user].team(state.ws)
        extra: dict[str, str] = {"team": team, "client_msg_id": str(uuid.uuid4())}
        if team != state.ws.team_id:  # a shared channel: whose workspace the author is from
            extra.update(user_team=team, source_team=team)
        message = state.add_message(Message(
            channel=target.id, ts=state.next_ts(target.id), seq=state.next_seq(), user=user, text=text,
            blocks=rich, thread_ts=thread_ts, parent_user_id=parent.user if parent else None, extra=extra,
        ))  # fmt: skip
        if not (target.is_im or target.bot_member):
            return message.ts, None  # Slack only sends message events from conversations the app is in
        event = {
            **message.to_json(),
            "channel": target.id,
            "event_ts": message.ts,
            "channel_type": target.channel_type,
        }
        return message.ts, await self.send_event(event, signing=signing)

    # --- Events API --------------------------------------------------------------------
    async def send_event(
        self,
        event: JSON,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        signing: Signing | None = None,
    ) -> AppResponse:
        """Deliver `event` in a new event_callback envelope (retry headers only if `retry_num` is set)."""
        state = self.state
        event_id = event_id or "Ev" + state.new_id("", 10)
        event = {"event_ts": f"{state.now():.6f}", **event}
        self._envelopes[event_id] = json.dumps(
            payloads.event_envelope(state, event, event_id, int(state.now()))
        )
        response = await self._deliver_event(event_id, retry_num, retry_reason, signing)
        if response.retryable and self.event_retries and retry_num is None:
            task = asyncio.get_running_loop().create_task(
                self._retry_later(event_id, response, signing), name=f"slack-retry-{event_id}"
            )
            self._retrying.add(task)
            task.add_done_callback(self._retrying.discard)
        return response

    async def _retry_later(self, event_id: str, failed: AppResponse, signing: Signing | None) -> None:
        for number, delay in enumerate(self.event_retries, start=1):
            await asyncio.sleep(delay)
            failed = await self._deliver_event(event_id, number, failed.failure, signing)
            if not failed.retryable:
                return

    @property
    def event_retries_pending(self) -> int:
        """Events with automatic retries still to come (their deliveries have all failed so far)."""
        return len(self._retrying)

    async def settle_event_retries(self, within: float = 60.0) -> None:
        """Wait until no event has an automatic retry left to make (raises TimeoutError after `within`)."""
        async with asyncio.timeout(within):
            while self._retrying:
                await asyncio.wait(set(self._retrying))

    def cancel_event_retries(self) -> None:
        for task in list(self._retrying):
            task.cancel()

    async def retry_event(
        self,
        event_id: str,
        *,
        retry_num: int = 1,
        retry_reason: str = "http_timeout",
        signing: Signing | None = None,
    ) -> AppResponse:
        """Resend an earlier envelope byte for byte, with the headers Slack's retries carry."""
        if event_id not in self._envelopes:
            raise SandboxError(f"no event {event_id} was sent")
        return await self._deliver_event(event_id, retry_num, retry_reason, signing)

    async def _deliver_event(
        self, event_id: str, retry_num: int | None, retry_reason: str | None, signing: Signing | None
    ) -> AppResponse:
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers = {
                "X-Slack-Retry-Num": str(retry_num),
                "X-Slack-Retry-Reason": retry_reason or "http_timeout",
            }
        response = await self._send(self._envelopes[event_id], "application/json", signing, headers)
        response.event_id = event_id
        self.event_deliveries.append(EventDelivery(event_id, retry_num, response.status, response.failure))
        return response

    async def open_app_home(self, user: str, *, signing: Signing | None = None) -> AppResponse:
        """The user opens the app's Home tab (app_home_opened, with the published view if any)."""
        state = self.state
        channel = state.dm_channel(self._user(user))
        event: JSON = {"type": "app_home_opened", "user": user, "channel": channel.id, "tab": "home"}
        home = state.views.get(state.home_views.get(user, ""))
        if home is not None:
            event["view"] = home.to_json(state.ws)
        return await self.send_event(event, signing=signing)

    async def verify_url(self) -> AppResponse:
        """Slack's url_verification handshake, sent when a Request URL is saved."""
        challenge = secrets.token_urlsafe(24)
        body = {"token": self.state.ws.verification_token, "challenge": challenge, "type": "url_verification"}
        return await self._send(json.dumps(body), "application/json", None)
