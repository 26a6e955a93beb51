"""What simulated users do: send text or a contact, press reply buttons, tap inline buttons, block the bot.

Each action stores the user's message and queues the update the real API would deliver, with the
payload shapes and entities a Telegram client produces.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox.telegram.entities import find_entities
from bot.sandbox.telegram.errors import SandboxError
from bot.sandbox.telegram.keyboards import inline_buttons, reply_buttons
from bot.sandbox.telegram.markup import TEXT_LIMIT
from bot.sandbox.telegram.objects import callback_query_json, member_update_json, message_json
from bot.sandbox.telegram.state import CallbackQueryRecord, ChatMessage, ChatState, SandboxState


def chat_of(state: SandboxState, chat_id: int) -> ChatState:
    chat = state.chat(chat_id)
    if chat is None:
        raise SandboxError(f"no chat {chat_id}; create_user() first")
    return chat


def push_text(
    state: SandboxState, chat_id: int, text: str, *, reply_to_message_id: int | None = None
) -> dict[str, Any]:
    if not text.strip():
        raise SandboxError("Telegram clients do not send empty messages")
    chunks = [text[i : i + TEXT_LIMIT] for i in range(0, len(text), TEXT_LIMIT)]
    with state.lock:
        sent = [
            _push(
                state,
                chat_id,
                text=chunk,
                entities=find_entities(chunk),
                reply_to_message_id=reply_to_message_id,
            )
            for chunk in chunks
        ]
    return sent[-1]


def push_contact(
    state: SandboxState, chat_id: int, phone_number: str | None = None, *, first_name: str | None = None
) -> dict[str, Any]:
    with state.lock:
        user = chat_of(state, chat_id).user
        phone = phone_number or user.phone_number
        if not phone:
            raise SandboxError(f"user {chat_id} has no phone_number; pass one")
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name or user.first_name}
        if user.last_name:
            contact["last_name"] = user.last_name
        contact["user_id"] = user.id
        return _push(state, chat_id, contact=contact)


def press_reply_button(state: SandboxState, chat_id: int, text: str) -> dict[str, Any]:
    with state.lock:
        chat = chat_of(state, chat_id)
        shown = reply_buttons(chat.reply_keyboard)
        button = next((b for b in shown if b["text"] == text), None)
        if button is None:
            raise SandboxError(
                f"no reply button {text!r} shown in chat {chat_id}; shown: {[b['text'] for b in shown]}"
            )
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        if button.get("request_contact"):
            return push_contact(state, chat_id)
        return push_text(state, chat_id, text)


def tap_button(
    state: SandboxState, chat_id: int, message_id: int | None, *, data: str | None, text: str | None
) -> str:
    if data is None and text is None:
        raise SandboxError("say which button to tap: data= or text=")
    with state.lock:
        chat = chat_of(state, chat_id)
        message = _tappable_message(chat, message_id)
        buttons = inline_buttons(message.reply_markup)
        button = next(
            (
                b
                for b in buttons
                if "callback_data" in b and data in (None, b["callback_data"]) and text in (None, b["text"])
            ),
            None,
        )
        if button is None:
            labels = [(b["text"], b.get("callback_data")) for b in buttons]
            raise SandboxError(f"message {message.message_id} has no such button; it has {labels}")
        query = CallbackQueryRecord(
            id=str(secrets.randbits(63)),
            chat_id=chat_id,
            message_id=message.message_id,
            user_id=chat.user.id,
            data=str(button["callback_data"]),
            created_at=state.monotonic(),
        )
        state.callback_queries[query.id] = query
        state.enqueue("callback_query", callback_query_json(state, query, message))
    return query.id


def set_blocked(state: SandboxState, chat_id: int, blocked: bool) -> None:
    """Blocking sends my_chat_member (member -> kicked), unblocking the reverse, as Telegram does."""
    with state.lock:
        chat = chat_of(state, chat_id)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        state.enqueue("my_chat_member", member_update_json(state, chat.user, old, new))


def _push(state: SandboxState, chat_id: int, **fields: Any) -> dict[str, Any]:
    """Store a user message and queue it as an update; call with the lock held."""
    chat = chat_of(state, chat_id)
    set_blocked(state, chat_id, False)  # writing to a blocked bot means pressing "Restart" first
    chat.started = True
    payload = message_json(state, state.add_message(chat, from_bot=False, **fields))
    state.enqueue("message", payload)
    return payload


def _tappable_message(chat: ChatState, message_id: int | None) -> ChatMessage:
    candidates = [m for m in chat.messages if m.from_bot and not m.deleted and inline_buttons(m.reply_markup)]
    if message_id is not None:
        candidates = [m for m in candidates if m.message_id == message_id]
    if not candidates:
        raise SandboxError(f"no bot message with inline buttons in chat {chat.user.id} (id {message_id})")
    return candidates[-1]
