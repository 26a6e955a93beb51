"""views.* methods: modals opened with a fresh trigger_id, pushed, updated, and per-user home tabs."""

from __future__ import annotations

import copy
import json
from typing import Any

from bot.sandbox.slack.blocks import BlockError, parse_blocks
from bot.sandbox.slack.methods import ApiError, Args, CallContext, Handler
from bot.sandbox.slack.models import JSON
from bot.sandbox.slack.records import Trigger, View
from bot.sandbox.slack.state import SandboxState

TRIGGER_TTL = 3.0  # seconds a trigger_id can be exchanged, per Slack's docs
PUSH_LIMIT = 3


def _invalid(message: str) -> ApiError:
    return ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {message}"]})


def _check_title(view: JSON, key: str, required: bool) -> None:
    obj = view.get(key)
    if obj is None and not required:
        return
    if (
        not isinstance(obj, dict)
        or obj.get("type") != "plain_text"
        or not 0 < len(str(obj.get("text", ""))) <= 24
    ):
        raise _invalid(f"{key} must be plain_text of 1-24 characters [json-pointer:/view/{key}]")


def parse_view(args: Args, surface: str) -> JSON:
    """The validated view definition with normalized blocks, or Slack's invalid_arguments."""
    raw: Any = args.structured("view")
    if not isinstance(raw, dict):
        raise _invalid("missing required field: view")
    view: JSON = copy.deepcopy(raw)
    if view.get("type") != surface:
        raise _invalid(f"type must be {surface!r} here [json-pointer:/view/type]")
    try:
        view["blocks"] = parse_blocks(view.get("blocks", []), surface)
    except BlockError as exc:
        raise ApiError("invalid_arguments", response_metadata={"messages": exc.messages}) from None
    if surface == "modal":
        _check_title(view, "title", required=True)
        _check_title(view, "submit", required=False)
        _check_title(view, "close", required=False)
        if "submit" not in view and any(b["type"] == "input" for b in view["blocks"]):
            raise _invalid("submit is required when an input block is within the blocks array")
    for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        if len(str(view.get(key, ""))) > limit:
            raise _invalid(f"{key} must be at most {limit} characters [json-pointer:/view/{key}]")
    if len(json.dumps(view)) > 250_000:
        raise ApiError("view_too_large")
    return view


def exchange_trigger(state: SandboxState, trigger_id: str | None) -> Trigger:
    """Spend a trigger_id the way Slack does: once, and within three seconds of the interaction."""
    if not trigger_id:
        raise _invalid("missing required field: trigger_id")
    with state.locked():
        trigger = state.triggers.get(trigger_id)
        if trigger is None:
            raise ApiError("invalid_trigger_id")
        if trigger.used:
            raise ApiError("exchanged_trigger_id")
        if state.now() - trigger.issued_at > TRIGGER_TTL:
            raise ApiError("expired_trigger_id")
        trigger.used = True
        return trigger


def _new_hash(state: SandboxState) -> str:
    return f"{int(state.now())}.{state.new_id('', 8).lower()}"


def _check_external_id(state: SandboxState, definition: JSON, own_id: str | None = None) -> None:
    external_id = definition.get("external_id")
    if external_id and any(
        v.definition.get("external_id") == external_id and v.id != own_id and not v.closed
        for v in state.views.values()
    ):
        raise ApiError("duplicate_external_id")


def _create(state: SandboxState, user: str, definition: JSON, stack: list[str]) -> View:
    view_id = state.new_id("V")
    view = View(
        id=view_id,
        user=user,
        definition=definition,
        hash=_new_hash(state),
        root_view_id=stack[0] if stack else view_id,
        previous_view_id=stack[-1] if stack else None,
    )
    state.views[view_id] = view
    return view


def views_open(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    definition = parse_view(args, "modal")
    _check_external_id(state, definition)
    trigger = exchange_trigger(state, args.text("trigger_id") or args.text("interactivity_pointer"))
    with state.locked():
        for old in state.modal_stacks.get(trigger.user, []):
            state.views[old].closed = True
        view = _create(state, trigger.user, definition, [])
        state.modal_stacks[trigger.user] = [view.id]
        state.touch()
    return {"view": view.to_json(state.ws)}


def views_push(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    definition = parse_view(args, "modal")
    _check_external_id(state, definition)
    trigger = exchange_trigger(state, args.text("trigger_id") or args.text("interactivity_pointer"))
    with state.locked():
        stack = state.modal_stacks.get(trigger.user, [])
        if not stack:
            raise ApiError("not_found")
        if len(stack) >= PUSH_LIMIT:
            raise ApiError("push_limit_reached")
        view = _create(state, trigger.user, definition, stack)
        stack.append(view.id)
        state.touch()
    return {"view": view.to_json(state.ws)}


def views_update(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    view = state.view_for(args.text("view_id"), args.text("external_id"))
    if view is None or view.closed:
        raise ApiError("not_found")
    definition = parse_view(args, view.type)
    _check_external_id(state, definition, view.id)
    with state.locked():
        if args.text("hash") not in (None, view.hash):
            raise ApiError("hash_conflict")
        replace_definition(state, view, definition)
    return {"view": view.to_json(state.ws)}


def replace_definition(state: SandboxState, view: View, definition: JSON) -> None:
    """Swap in new content; typed input survives where block_id and action_id are unchanged."""
    with state.locked():
        kept: dict[str, dict[str, JSON]] = {}
        for block in definition.get("blocks", []):
            old = view.values.get(block["block_id"], {})
            element = block.get("element") or {}
            if element.get("action_id") in old:
                kept[block["block_id"]] = {element["action_id"]: old[element["action_id"]]}
        view.definition, view.values, view.errors = definition, kept, {}
        view.hash = _new_hash(state)
        state.touch()


def views_publish(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    user = args.text("user_id") or ""
    if user not in state.users:
        raise ApiError("user_not_found")
    definition = parse_view(args, "home")
    with state.locked():
        existing = state.views.get(state.home_views.get(user, ""))
        if existing is not None:
            if args.text("hash") not in (None, existing.hash):
                raise ApiError("hash_conflict")
            replace_definition(state, existing, definition)
            return {"view": existing.to_json(state.ws)}
        view = _create(state, user, definition, [])
        state.home_views[user] = view.id
        state.touch()
    return {"view": view.to_json(state.ws)}


METHODS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
