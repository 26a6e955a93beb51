"""Block Kit checks Slack applies on the server, so layout mistakes fail here as they would in Slack.

Only structural rules are checked (types, required fields, counts, lengths, unique ids); rendering
details are not. Missing `block_id`/`action_id` values are filled in as Slack does, so the driver
presses exactly what the app would see in the payload.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from bot.sandbox.slack.models import JSON

BLOCK_TYPES = frozenset({
    "actions", "context", "context_actions", "divider", "file", "header", "image", "input",
    "markdown", "rich_text", "section", "table", "video",
})  # fmt: skip
INTERACTIVE = frozenset({
    "button", "checkboxes", "datepicker", "datetimepicker", "email_text_input", "file_input",
    "multi_static_select", "multi_users_select", "multi_conversations_select", "multi_channels_select",
    "multi_external_select", "number_input", "overflow", "plain_text_input", "radio_buttons",
    "rich_text_input", "static_select", "external_select", "users_select", "conversations_select",
    "channels_select", "timepicker", "url_text_input", "workflow_button", "feedback_buttons",
    "icon_button",
})  # fmt: skip
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}


class BlockError(Exception):
    """Invalid blocks; `messages` mirror Slack's `response_metadata.messages`."""

    def __init__(self, error: str, messages: list[str]) -> None:
        super().__init__(f"{error}: {'; '.join(messages)}")
        self.error = error
        self.messages = messages


def parse_blocks(raw: Any, surface: str = "message") -> list[JSON]:
    """Validate blocks sent as a JSON string (form bodies) or list (JSON bodies); return a normalized copy."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise BlockError("invalid_blocks_format", ["[ERROR] blocks is not valid JSON"]) from None
    if not isinstance(raw, list):
        raise BlockError("invalid_blocks_format", ["[ERROR] must be an array [json-pointer:/blocks]"])
    limit = MAX_BLOCKS[surface]
    problems: list[str] = []
    if len(raw) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:/blocks]")
    blocks = copy.deepcopy(raw)  # Slack invents random missing ids; stable ones keep runs comparable
    seen_block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict):
            problems.append(f"[ERROR] must be an object [json-pointer:{where}]")
            continue
        _check_block(block, where, problems.append)
        block_id = block.setdefault("block_id", f"sb{i:03d}")
        if not isinstance(block_id, str) or not 0 < len(block_id) <= 255:
            problems.append(f"[ERROR] block_id must be 1-255 characters [json-pointer:{where}/block_id]")
        elif block_id in seen_block_ids:
            problems.append(f"[ERROR] duplicate block_id {block_id!r} [json-pointer:{where}/block_id]")
        seen_block_ids.add(str(block_id))
    if problems:
        raise BlockError("invalid_blocks", problems)
    return blocks


def _check_text(
    obj: Any, where: str, report: Callable[[str], None], max_len: int, plain: bool = False
) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        report(f"[ERROR] must be a text object [json-pointer:{where}]")
        return
    if plain and obj["type"] != "plain_text":
        report(f"[ERROR] must be plain_text [json-pointer:{where}/type]")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        report(f"[ERROR] must be more than 0 characters [json-pointer:{where}/text]")
    elif len(text) > max_len:
        report(f"[ERROR] must be less than {max_len + 1} characters [json-pointer:{where}/text]")


def _check_block(block: JSON, where: str, report: Callable[[str], None]) -> None:
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        report(f"[ERROR] unknown block type {kind!r} [json-pointer:{where}/type]")
        return
    if kind == "section":
        if "text" not in block and "fields" not in block:
            report(f"[ERROR] section needs text or fields [json-pointer:{where}]")
        if "text" in block:
            _check_text(block["text"], f"{where}/text", report, 3000)
        for j, f in enumerate(block.get("fields", [])):
            _check_text(f, f"{where}/fields/{j}", report, 2000)
        if len(block.get("fields", [])) > 10:
            report(f"[ERROR] no more than 10 items allowed [json-pointer:{where}/fields]")
        if "accessory" in block:
            _check_elements([block["accessory"]], f"{where}/accessory", report, 1)
    elif kind == "header":
        _check_text(block.get("text"), f"{where}/text", report, 150, plain=True)
    elif kind == "actions":
        _check_elements(block.get("elements"), f"{where}/elements", report, 25)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 0 < len(elements) <= 10:
            report(f"[ERROR] context needs 1-10 elements [json-pointer:{where}/elements]")
    elif kind == "image":
        if "image_url" not in block and "slack_file" not in block:
            report(f"[ERROR] image needs image_url or slack_file [json-pointer:{where}]")
        if not block.get("alt_text"):
            report(f"[ERROR] missing required field: alt_text [json-pointer:{where}]")
    elif kind == "input":
        _check_text(block.get("label"), f"{where}/label", report, 2000, plain=True)
        _check_elements([block.get("element")], f"{where}/element", report, 1)


def _check_elements(elements: Any, where: str, report: Callable[[str], None], limit: int) -> None:
    if not isinstance(elements, list) or not 0 < len(elements) <= limit:
        report(f"[ERROR] needs 1-{limit} elements [json-pointer:{where}]")
        return
    seen: set[str] = set()
    for j, element in enumerate(elements):
        at = f"{where}/{j}" if limit > 1 else where
        if not isinstance(element, dict) or element.get("type") not in INTERACTIVE | {"image"}:
            report(f"[ERROR] unknown element type [json-pointer:{at}/type]")
            continue
        if element["type"] == "image":
            continue
        action_id = element.setdefault("action_id", "sb_" + at.removeprefix("/blocks/").replace("/", "_"))
        if not isinstance(action_id, str) or not 0 < len(action_id) <= 255:
            report(f"[ERROR] action_id must be 1-255 characters [json-pointer:{at}/action_id]")
        elif action_id in seen:
            report(f"[ERROR] duplicate action_id {action_id!r} [json-pointer:{at}/action_id]")
        seen.add(str(action_id))
        if element["type"] == "button":
            _check_text(element.get("text"), f"{at}/text", report, 75, plain=True)
            if len(str(element.get("value", ""))) > 2000:
                report(f"[ERROR] must be less than 2001 characters [json-pointer:{at}/value]")
            if element.get("style") not in (None, "primary", "danger"):
                report(f"[ERROR] style must be primary or danger [json-pointer:{at}/style]")


def find_element(blocks: list[JSON], action_id: str, block_id: str | None = None) -> tuple[JSON, JSON]:
    """The (block, element) with `action_id`; KeyError when absent, ValueError when ambiguous."""
    found: list[tuple[JSON, JSON]] = []
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = list(block.get("elements", []))
        candidates += [block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)]
        found += [(block, e) for e in candidates if isinstance(e, dict) and e.get("action_id") == action_id]
    if not found:
        raise KeyError(action_id)
    if len(found) > 1:
        raise ValueError(f"action_id {action_id!r} appears in {len(found)} blocks; pass block_id")
    return found[0]
