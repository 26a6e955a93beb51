"""What Slack reports in `state.values` for an interactive element: after the user filled it, and
before (an untouched input reports its initial value, or an empty one)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.sandbox.slack.models import JSON, SandboxError

TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input",
                         "rich_text_input"})  # fmt: skip
SINGLE_OPTION = frozenset({"static_select", "external_select", "radio_buttons", "overflow"})
MULTI_OPTION = frozenset({"multi_static_select", "multi_external_select", "checkboxes"})
SIMPLE_KEYS = {
    "datepicker": "selected_date", "timepicker": "selected_time", "datetimepicker": "selected_date_time",
    "users_select": "selected_user", "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation", "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel", "multi_channels_select": "selected_channels",
}  # fmt: skip


def _options(element: JSON) -> list[JSON]:
    groups = element.get("option_groups", [])
    return list(element.get("options", [])) + [o for g in groups for o in g.get("options", [])]


def _option(element: JSON, value: Any) -> JSON:
    for option in _options(element):
        if option.get("value") == value:
            return dict(option)
    offered = [o.get("value") for o in _options(element)]
    raise SandboxError(f"{element.get('action_id')!r} offers no option {value!r} (offered: {offered})")


def input_state(element: JSON, value: Any) -> JSON:
    """The `state.values` entry for `element` holding `value`, in the shape Slack reports it."""
    kind = str(element.get("type"))
    if kind in TEXT_INPUTS:
        return {"type": kind, "value": None if value is None else str(value)}
    if kind in SINGLE_OPTION:
        return {"type": kind, "selected_option": None if value is None else _option(element, value)}
    if kind in MULTI_OPTION:
        values: Iterable[Any] = [] if value is None else value
        return {"type": kind, "selected_options": [_option(element, v) for v in values]}
    if kind in SIMPLE_KEYS:
        return {"type": kind, SIMPLE_KEYS[kind]: value}
    raise SandboxError(f"the sandbox cannot fill a {kind!r} element")


def initial_state(element: JSON) -> JSON | None:
    """The entry of an element nobody touched: its initial value as if chosen, or empty."""
    kind = str(element.get("type"))
    if kind in TEXT_INPUTS:
        return {"type": kind, "value": element.get("initial_value")}
    if kind in SINGLE_OPTION:
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind in MULTI_OPTION:
        return {"type": kind, "selected_options": list(element.get("initial_options", []))}
    if kind in SIMPLE_KEYS:
        key = SIMPLE_KEYS[kind]
        return {"type": kind, key: element.get(key.replace("selected_", "initial_", 1))}
    return None


def view_state(blocks: list[JSON], typed: dict[str, dict[str, JSON]]) -> dict[str, dict[str, JSON]]:
    """`state.values` of a view: every input block's element, as typed or as it started."""
    values = {block_id: dict(entries) for block_id, entries in typed.items()}
    for block in blocks:
        element = block.get("element") if block.get("type") == "input" else None
        if not element or "action_id" not in element:
            continue
        entries = values.setdefault(str(block["block_id"]), {})
        if element["action_id"] not in entries:
            initial = initial_state(element)
            if initial is not None:
                entries[element["action_id"]] = initial
    return {block_id: entries for block_id, entries in values.items() if entries}
