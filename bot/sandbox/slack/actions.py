"""Pressing what the app drew (buttons, menus, message shortcuts) and answering its modals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack import payloads
from bot.sandbox.slack.blocks import find_element
from bot.sandbox.slack.element_state import input_state, view_state
from bot.sandbox.slack.hooks import issue_response_url
from bot.sandbox.slack.interactions import Interactions
from bot.sandbox.slack.methods import ApiError, Args
from bot.sandbox.slack.models import JSON, Channel, SandboxError
from bot.sandbox.slack.records import View
from bot.sandbox.slack.signing import AppResponse, Signing
from bot.sandbox.slack.views import PUSH_LIMIT, parse_view, replace_definition


@dataclass
class _Surface:
    """Where an element was pressed: its blocks and the context a block_actions payload carries."""

    blocks: list[JSON]
    container: JSON
    channel: Channel | None = None
    message: JSON | None = None
    view: JSON | None = None
    original: tuple[str, str] | None = None  # what replace_original/delete_original act on


def _element(blocks: list[JSON], action_id: str, block_id: str | None, where: object) -> tuple[JSON, JSON]:
    try:
        return find_element(blocks, action_id, block_id)
    except KeyError:
        raise SandboxError(f"no element with action_id {action_id!r} (block {block_id}) in {where}") from None
    except ValueError as exc:
        raise SandboxError(str(exc)) from None


class Actions(Interactions):
    """Interactions with the app's own blocks: the driver refuses elements the user cannot see."""

    # --- buttons, menus, shortcuts -----------------------------------------------------
    def _locate(self, user: str, channel: str | None, ts: str | None, view_id: str | None) -> _Surface:
        """The message or view the user is looking at, with what a payload about it needs."""
        state = self.state
        if view_id is not None:
            view = state.views.get(view_id)
            if view is None or view.closed or view.user != user:
                raise SandboxError(f"view {view_id} is not open for {user}")
            return _Surface(
                view.definition.get("blocks", []),
                {"type": "view", "view_id": view_id},
                view=view.to_json(state.ws),
            )
        if channel is None or ts is None:
            raise SandboxError("say where the element is: channel and ts, or view_id")
        target = self._channel_for(user, channel)
        container: JSON = {
            "type": "message",
            "message_ts": ts,
            "channel_id": target.id,
            "is_ephemeral": False,
        }
        message = state.find_message(target.id, ts)
        if message is not None:
            if message.thread_ts not in (None, message.ts):
                container["thread_ts"] = message.thread_ts
            return _Surface(
                message.blocks or [], container, target, state.message_json(message), original=("message", ts)
            )
        ephemeral = state.find_ephemeral(user, ts)
        if ephemeral is None or ephemeral.channel != target.id:
            raise SandboxError(f"{user} sees no message {ts} in {target.id}")
        container["is_ephemeral"] = True  # Slack sends no `message` for ephemeral sources
        return _Surface(ephemeral.blocks or [], container, target, original=("ephemeral", ts))

    async def press_button(
        self,
        action_id: str,
        *,
        user: str,
        channel: str | None = None,
        ts: str | None = None,
        view_id: str | None = None,
        block_id: str | None = None,
        value: Any = None,
        signing: Signing | None = None,
    ) -> AppResponse:
        """Click a button (or pick `value` in a menu/date picker) that really is in the message or view."""
        self._user(user)
        surface = self._locate(user, channel, ts, view_id)
        block, element = _element(surface.blocks, action_id, block_id, surface.container)
        if element["type"] == "button" and value is not None:
            raise SandboxError("buttons carry their own value; do not pass one")
        action_ts = f"{self.state.now():.6f}"
        response_url = None
        if surface.channel is not None:
            response_url = issue_response_url(
                self.state, self.base_url, surface.channel.id, user, surface.original
            )
        payload = payloads.block_actions(
            self.state,
            user=user,
            trigger_id=self.issue_trigger_id(user),
            container=surface.container,
            action=payloads.action_item(block, element, value, action_ts),
            channel=surface.channel,
            message=surface.message,
            view=surface.view,
            response_url=response_url,
        )
        return await self._interact(payload, signing)

    async def press_forged_button(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        channel: str,
        label: str = "",
        signing: Signing | None = None,
    ) -> AppResponse:
        """A click on a button the app never showed this user (a crafted or replayed request).

        `press_button` refuses elements the user cannot see; this sends the block_actions payload
        anyway, signed as Slack signs everything it relays, so only the app's own checks decide."""
        target = self._channel_for(self._user(user), channel)
        element: JSON = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label or action_id},
            "value": value,
        }
        container: JSON = {
            "type": "message",
            "message_ts": f"{self.state.now():.6f}",
            "channel_id": target.id,
            "is_ephemeral": True,
        }
        payload = payloads.block_actions(
            self.state,
            user=user,
            trigger_id=self.issue_trigger_id(user),
            container=container,
            action=payloads.action_item({"block_id": "forged"}, element, None, f"{self.state.now():.6f}"),
            channel=target,
            response_url=issue_response_url(self.state, self.base_url, target.id, user),
        )
        return await self._interact(payload, signing)

    async def message_shortcut(
        self, callback_id: str, *, user: str, channel: str, ts: str, signing: Signing | None = None
    ) -> AppResponse:
        """Choose the app's shortcut from a message's "More actions" menu."""
        target = self._channel_for(self._user(user), channel)
        message = self.state.find_message(target.id, ts)
        if message is None:
            raise SandboxError(f"no message {ts} in {target.id}")
        response_url = issue_response_url(self.state, self.base_url, target.id, user)
        payload = payloads.message_action(
            self.state,
            callback_id=callback_id,
            user=user,
            channel=target,
            message=self.state.message_json(message),
            trigger_id=self.issue_trigger_id(user),
            response_url=response_url,
            action_ts=f"{self.state.now():.6f}",
        )
        return await self._interact(payload, signing)

    # --- modals ------------------------------------------------------------------------
    def _top_view(self, view_id: str) -> View:
        view = self.state.views.get(view_id)
        stack = self.state.modal_stacks.get(view.user, []) if view else []
        if view is None or view.closed or not stack or stack[-1] != view_id:
            raise SandboxError(f"view {view_id} is not the modal on top of the user's screen")
        return view

    async def submit_view(
        self,
        view_id: str,
        values: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        signing: Signing | None = None,
    ) -> AppResponse:
        """Fill inputs ({block_id: {action_id: value}}) and press Submit; honour the ack's response_action."""
        state, view = self.state, self._top_view(view_id)
        with state.locked():
            for block_id, entries in (values or {}).items():
                for action_id, value in entries.items():
                    block, element = _element(view.definition["blocks"], action_id, block_id, view_id)
                    view.values.setdefault(block_id, {})[action_id] = input_state(element, value)
            state.touch()
        reported = view_state(view.definition["blocks"], view.values)
        for block in view.definition["blocks"]:
            if block["type"] == "input" and not block.get("optional"):
                entry = reported.get(block["block_id"], {}).get(block["element"]["action_id"], {})
                if not any(v not in (None, "", []) for k, v in entry.items() if k != "type"):
                    raise SandboxError(
                        f"required input {block['block_id']!r} is empty; Slack would not submit"
                    )
        payload = payloads.view_payload(
            state, "view_submission", view.user, view.to_json(state.ws), self.issue_trigger_id(view.user)
        )
        response = await self._interact(payload, signing)
        if response.status == 200:
            self._after_submit(view, response)
        return response

    def _after_submit(self, view: View, response: AppResponse) -> None:
        state = self.state
        try:
            ack = response.json()
        except json.JSONDecodeError:
            response.error = "invalid_response"  # Slack needs JSON (or nothing) here; the modal stays open
            return
        action = ack.get("response_action") if isinstance(ack, dict) else None
        with state.locked():
            stack = state.modal_stacks.setdefault(view.user, [])
            if action == "errors":
                view.errors = dict(ack.get("errors", {}))
            elif action in ("update", "push"):
                try:
                    definition = parse_view(Args({"view": ack.get("view")}), "modal")
                except ApiError as exc:
                    response.error = exc.error
                    return
                if action == "update":
                    replace_definition(state, view, definition)
                elif len(stack) >= PUSH_LIMIT:
                    response.error = "push_limit_reached"
                else:
                    pushed = View(
                        id=state.new_id("V"),
                        user=view.user,
                        definition=definition,
                        hash=f"{int(state.now())}.{state.new_id('', 8).lower()}",
                        root_view_id=stack[0],
                        previous_view_id=view.id,
                    )
                    state.views[pushed.id] = pushed
                    stack.append(pushed.id)
            else:
                # The listener may already have replaced this modal (views.open with a new trigger).
                closing = list(stack) if action == "clear" else [v for v in stack if v == view.id]
                for closed_id in closing:
                    state.views[closed_id].closed = True
                    stack.remove(closed_id)
            state.touch()

    async def close_view(self, view_id: str, *, signing: Signing | None = None) -> AppResponse | None:
        """Press Close; the app hears about it (view_closed) only if the view set notify_on_close."""
        state, view = self.state, self._top_view(view_id)
        with state.locked():
            view.closed = True
            state.modal_stacks[view.user].remove(view_id)
            state.touch()
        if not view.definition.get("notify_on_close"):
            return None
        payload = payloads.view_payload(state, "view_closed", view.user, view.to_json(state.ws), None)
        return await self._interact(payload, signing)
