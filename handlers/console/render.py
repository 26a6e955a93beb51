"""What a person sees, as terminal lines: Telegram messages and keyboards, Slack messages, Block Kit, modals.

Pure functions from the sandboxes' snapshots (the same JSON the playground page draws) to
`Shown` items: a heading, lines, and the buttons on them (pressable with :tap / :click).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.telegram import MessageView

JSON = dict[str, Any]


@dataclass(frozen=True)
class Button:
    """A pressable button: on a Telegram message (callback), a reply keyboard, or a Slack surface."""

    label: str
    kind: str  # "tg_callback" | "tg_reply" | "slack"
    target: JSON  # what the driver needs to press it


@dataclass
class Shown:
    side: str  # "customer" | "staff"
    heading: str
    lines: list[str]
    buttons: list[Button] = field(default_factory=list)
    audience: str | None = None  # the one person who sees it (a chat, an ephemeral's or modal's user)
    key: tuple[object, ...] = ()  # the same message or surface drawn again (edited) has the same key

    @property
    def text(self) -> str:
        return "\n".join([self.heading, *self.lines, *(b.label for b in self.buttons)])


def choice_labels(buttons: list[Button]) -> str:
    """`[0] [1] … [10]` for numeric labels (tap them by label), `(1) Redeem  (2) Cancel` otherwise."""
    if all(b.label.strip().isdigit() for b in buttons):
        return "  ".join(f"[{b.label}]" for b in buttons)
    return "  ".join(f"({n}) {b.label}" for n, b in enumerate(buttons, start=1))


# --- Telegram ------------------------------------------------------------------------------------


def telegram_message(view: MessageView, reader: str, *, edited: bool = False) -> Shown:
    heading = f"📱 bot → {reader}" + (" (edited)" if edited else "")
    lines = (view.text or "").splitlines() if not view.deleted else ["(message deleted)"]
    for upload, kind in ((view.document, "document"), (view.photo, "photo")):
        if upload is not None:
            size = f"{upload.width}×{upload.height}, " if kind == "photo" else ""
            name = upload.filename or kind
            lines.append(f"[{kind}: {name} ({size}{upload.size:,} bytes)  /sandbox/files/{upload.file_id}]")
    buttons: list[Button] = []
    for row in (view.reply_markup or {}).get("inline_keyboard", []):
        for b in row:
            if "callback_data" in b:
                target = {"chat_id": view.chat_id, "message_id": view.message_id, "data": b["callback_data"]}
                buttons.append(Button(b["text"], "tg_callback", target))
            elif "url" in b:
                lines.append(f"[link button: {b['text']} → {b['url']}]")
    key = ("telegram", view.chat_id, view.message_id)
    return Shown("customer", heading, lines, [] if view.deleted else buttons, str(view.chat_id), key)


def reply_keyboard(chat_id: int, keyboard: JSON | None, reader: str) -> Shown:
    """The keyboard under the input field; a hidden one (no heading) is not printed but retires the old."""
    buttons = [
        Button(b["text"], "tg_reply", {"chat_id": chat_id, "text": b["text"]})
        for row in (keyboard or {}).get("keyboard", [])
        for b in row
    ]
    heading = f"⌨ keyboard for {reader}" if buttons else ""
    return Shown("customer", heading, [], buttons, str(chat_id), ("keyboard", chat_id))


# --- Slack ---------------------------------------------------------------------------------------

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]+))?>")
_CODE = re.compile(r"`([^`\n]+)`")
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")
EMOJI = {
    "rotating_light": "🚨", "outbox_tray": "📤", "inbox_tray": "📥", "speech_balloon": "💬", "tada": "🎉",
    "warning": "⚠️", "white_check_mark": "✅", "heavy_check_mark": "✔️", "x": "❌", "bell": "🔔", "zzz": "💤",
    "chart_with_upwards_trend": "📈", "chart_with_downwards_trend": "📉", "star": "⭐", "memo": "📝",
    "bust_in_silhouette": "👤", "calendar": "📅", "gift": "🎁", "birthday": "🎂", "hourglass": "⏳",
    "telephone_receiver": "📞", "moneybag": "💰", "eyes": "👀", "wave": "👋", "sunrise": "🌅",
}  # fmt: skip
"""Slack's emoji shortcodes as Slack shows them (the ones our messages use, and common others)."""
_STYLE = re.compile(r"(^|[\s(])[*_~]([^*_~\n]+)[*_~](?=$|[\s.,:;!?)])", re.MULTILINE)


def mrkdwn(text: str, names: dict[str, str]) -> str:
    """Slack's markup as a person reads it: <@U1> → @Alex, <#C1|team> → #team, <url|label> → label (url)."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + names.get(target[1:], label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} ({target})" if label else target

    text = _CODE.sub(r"\1", _LINK.sub(link, text))
    text = _STYLE.sub(lambda m: m.group(1) + m.group(2), text)
    text = _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any, names: dict[str, str]) -> str:
    if not isinstance(obj, dict):
        return ""
    raw = str(obj.get("text", ""))
    return mrkdwn(raw, names) if obj.get("type") == "mrkdwn" else raw


def _rich_text(element: Any) -> str:
    if isinstance(element, dict):
        if "text" in element and isinstance(element["text"], str):
            return element["text"]
        return "".join(_rich_text(e) for e in element.get("elements", []))
    return ""


def _element(element: JSON, names: dict[str, str], where: JSON) -> tuple[str | None, Button | None]:
    kind = element.get("type")
    if kind == "button":
        label = _text(element.get("text"), names)
        return None, Button(label, "slack", where | {"action_id": element.get("action_id")})
    if kind in ("static_select", "overflow", "users_select", "datepicker", "conversations_select"):
        placeholder = _text(element.get("placeholder"), names) or str(kind).replace("_", " ")
        options = ", ".join(_text(o.get("text"), names) for o in element.get("options", []))
        return f"[menu: {placeholder}{': ' + options if options else ''}]", None
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]", None
    if kind in ("mrkdwn", "plain_text"):
        return _text(element, names), None
    return None, None


def blocks(blocks_json: list[JSON], names: dict[str, str], where: JSON) -> tuple[list[str], list[Button]]:
    """Lines and buttons of a Block Kit surface; `where` locates it for pressing (channel+ts or view_id)."""
    lines: list[str] = []
    buttons: list[Button] = []

    def add(element: JSON, block: JSON) -> None:
        line, button = _element(element, names, where | {"block_id": block.get("block_id")})
        if line:
            lines.append(line)
        if button:
            buttons.append(button)

    for block in blocks_json:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {_text(block.get('text'), names)} ==")
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text(block["text"], names).splitlines())
            for pair in block.get("fields", []):
                lines.append("  " + " — ".join(_text(pair, names).splitlines()))
            if isinstance(block.get("accessory"), dict):
                add(block["accessory"], block)
        elif kind == "context":
            texts = [_element(e, names, where)[0] for e in block.get("elements", [])]
            lines.append("  " + " · ".join(t for t in texts if t))
        elif kind == "divider":
            lines.append("─" * 32)
        elif kind == "actions":
            for element in block.get("elements", []):
                add(element, block)
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text') or _text(block.get('title'), names)}]")
        elif kind == "input":
            lines.append(f"{_text(block.get('label'), names)}: {input_hint(block.get('element', {}))}")
        elif kind in ("rich_text", "markdown"):
            lines.extend((_rich_text(block) or str(block.get("text", ""))).splitlines())
    return lines, buttons


def input_hint(element: JSON) -> str:
    value = element.get("initial_value") or element.get("initial_date") or ""
    options = [o.get("text", {}).get("text", "") for o in element.get("options", [])]
    hint = f"one of {', '.join(options)}" if options else str(element.get("type", "input")).replace("_", " ")
    return f"[{hint}{' = ' + str(value) if value else ''}]"


def slack_message(message: JSON, where_name: str, names: dict[str, str], *, edited: bool = False) -> Shown:
    author = names.get(str(message.get("user")), str(message.get("user")))
    thread = message.get("thread_ts") not in (None, message.get("ts"))
    place = f"{where_name} › thread" if thread else where_name
    heading = f"💬 {place} · {author}" + (" (updated)" if edited else "")
    where = {"channel": message.get("channel"), "ts": message.get("ts")}
    lines, buttons = blocks(message.get("blocks") or [], names, where)
    if not lines:
        lines = mrkdwn(str(message.get("text", "")), names).splitlines()
    for f in message.get("files", []):
        lines.append(f"[file: {f.get('name')} ({f.get('size', 0):,} bytes)  /sandbox/files/{f.get('id')}]")
    return Shown("staff", heading, lines, buttons, key=("slack", message.get("channel"), message.get("ts")))


def ephemeral(message: JSON, where_name: str, names: dict[str, str]) -> Shown:
    shown = slack_message(message | {"user": None}, where_name, names)
    reader = names.get(str(message.get("user")), "you")
    shown.heading = f"💬 {where_name} · only visible to {reader}"
    shown.audience = str(message.get("user"))
    shown.key = ("ephemeral", message.get("user"), message.get("ts"))
    return shown


def modal(view: JSON, user: str, names: dict[str, str]) -> Shown:
    title = _text(view.get("title"), names)
    lines, buttons = blocks(view.get("blocks", []), names, {"view_id": view.get("id")})
    errors = view.get("errors") or {}
    lines.extend(f"! {block}: {message}" for block, message in errors.items())
    submit = _text(view.get("submit"), names) if view.get("submit") else None
    lines.append(
        f"[{submit}: :submit …]  [{_text(view.get('close'), names) or 'Cancel'}: :cancel]" if submit else ""
    )
    shown = Shown(
        "staff", f"🗔 modal for {names.get(user, user)}: {title}", [ln for ln in lines if ln], buttons
    )
    shown.audience = user
    shown.key = ("modal", view.get("id"))
    return shown
