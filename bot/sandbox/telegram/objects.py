"""Bot API JSON shapes (User, Chat, Message, CallbackQuery, ...) built from sandbox state.

Field presence follows the official API: optional fields are omitted, not null, because
python-telegram-bot and other clients treat a present null differently from an absent field.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.telegram.state import CallbackQueryRecord, ChatMessage, SandboxState, SandboxUser, Upload


def _drop_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def user_json(user: SandboxUser) -> dict[str, Any]:
    return _drop_none(
        {
            "id": user.id,
            "is_bot": False,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "language_code": user.language_code,
        }
    )


def bot_json(state: SandboxState, *, full: bool = False) -> dict[str, Any]:
    """The bot as a User: `full` adds the capability flags getMe returns."""
    result: dict[str, Any] = {
        "id": state.bot_id,
        "is_bot": True,
        "first_name": state.bot_first_name,
        "username": state.bot_username,
    }
    if full:
        result.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
    return result


def chat_json(user: SandboxUser) -> dict[str, Any]:
    return _drop_none(
        {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "type": "private",
        }
    )


def document_json(upload: Upload) -> dict[str, Any]:
    return _drop_none(
        {
            "file_name": upload.filename,
            "mime_type": upload.mime_type,
            "file_id": upload.file_id,
            "file_unique_id": upload.file_unique_id,
            "file_size": len(upload.data),
        }
    )


def photo_json(upload: Upload) -> list[dict[str, Any]]:
    return [
        {
            "file_id": upload.file_id,
            "file_unique_id": upload.file_unique_id,
            "file_size": len(upload.data),
            "width": upload.width,
            "height": upload.height,
        }
    ]


def file_json(upload: Upload) -> dict[str, Any]:
    return {
        "file_id": upload.file_id,
        "file_unique_id": upload.file_unique_id,
        "file_size": len(upload.data),
        "file_path": upload.file_path,
    }


def message_json(state: SandboxState, message: ChatMessage, *, with_reply: bool = True) -> dict[str, Any]:
    chat = state.chats[message.chat_id]
    result: dict[str, Any] = {
        "message_id": message.message_id,
        "from": bot_json(state) if message.from_bot else user_json(chat.user),
        "chat": chat_json(chat.user),
        "date": message.date,
    }
    if message.edit_date is not None:
        result["edit_date"] = message.edit_date
    if with_reply and message.reply_to_message_id is not None:
        replied = state.find_message(chat, message.reply_to_message_id)
        if replied is not None:
            result["reply_to_message"] = message_json(state, replied, with_reply=False)
    if message.text is not None:
        result["text"] = message.text
        if message.entities:
            result["entities"] = message.entities
    if message.document is not None:
        result["document"] = document_json(message.document)
    if message.photo is not None:
        result["photo"] = photo_json(message.photo)
    if message.caption:
        result["caption"] = message.caption
        if message.caption_entities:
            result["caption_entities"] = message.caption_entities
    if message.contact is not None:
        result["contact"] = message.contact
    # Only inline keyboards belong to a Message; reply keyboards live on the client.
    if message.reply_markup is not None and "inline_keyboard" in message.reply_markup:
        result["reply_markup"] = message.reply_markup
    return result


def callback_query_json(
    state: SandboxState, query: CallbackQueryRecord, message: ChatMessage
) -> dict[str, Any]:
    chat = state.chats[query.chat_id]
    return {
        "id": query.id,
        "from": user_json(chat.user),
        "message": message_json(state, message),
        "chat_instance": str(abs(hash((state.bot_id, query.chat_id))) % 10**19),
        "data": query.data,
    }


def member_update_json(state: SandboxState, user: SandboxUser, old: str, new: str) -> dict[str, Any]:
    """my_chat_member: what Telegram sends when a user blocks (kicked) or unblocks (member) the bot."""
    me = bot_json(state)
    return {
        "chat": chat_json(user),
        "from": user_json(user),
        "date": state.now(),
        "old_chat_member": {"user": me, "status": old, **({"until_date": 0} if old == "kicked" else {})},
        "new_chat_member": {"user": me, "status": new, **({"until_date": 0} if new == "kicked" else {})},
    }
