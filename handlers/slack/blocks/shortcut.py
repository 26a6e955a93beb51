"""The "Log as customer interaction" modal."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator
from bot.services.staff_actions import LOG_KINDS
from handlers.slack.blocks.common import clip, context, plain

CALLBACK = "log_interaction"
"""The message shortcut's callback_id (slack-manifest.yml)."""
VIEW = "log_interaction_view"
TEXT_MAX = 3000


def log_modal(t: Translator, message_text: str, private_metadata: str) -> dict[str, Any]:
    options = [{"text": plain(t.format(f"slack.kind.{kind}")), "value": kind} for kind in LOG_KINDS]
    note = next(o for o in options if o["value"] == "note")
    text_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "text",
        "multiline": True,
        "max_length": TEXT_MAX,
    }
    if message_text.strip():
        text_input["initial_value"] = clip(message_text.strip(), TEXT_MAX)
    return {
        "type": "modal",
        "callback_id": VIEW,
        "private_metadata": private_metadata,
        "title": plain(t.format("slack.shortcut.title"), 24),
        "submit": plain(t.format("slack.shortcut.submit"), 24),
        "close": plain(t.format("slack.reply.cancel"), 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "customer",
                "label": plain(t.format("slack.shortcut.customer")),
                "hint": plain(t.format("slack.shortcut.customer_hint")),
                "element": {"type": "plain_text_input", "action_id": "query", "max_length": 200},
            },
            {
                "type": "input",
                "block_id": "kind",
                "label": plain(t.format("slack.shortcut.kind")),
                "element": {
                    "type": "static_select",
                    "action_id": "kind",
                    "options": options,
                    "initial_option": note,
                },
            },
            {
                "type": "input",
                "block_id": "text",
                "label": plain(t.format("slack.shortcut.text")),
                "element": text_input,
            },
            context(t.format("slack.shortcut.explain")),
        ],
    }
