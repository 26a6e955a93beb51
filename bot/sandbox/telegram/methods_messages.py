"""Bot API methods that send or change messages: sendMessage, sendDocument, sendPhoto, edits, deletes.

Checks run in the real server's order: parameters and markup (400), then the chat (400 "chat not
found"), then the user's side (403 blocked / never started), then flood control (429).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from bot.sandbox.telegram.calls import Call, Handler, ensure_reachable, resolve_chat, spend_flood_allowance
from bot.sandbox.telegram.errors import NOT_MODIFIED, bad_request
from bot.sandbox.telegram.forms import Params, UploadedFile
from bot.sandbox.telegram.images import image_size
from bot.sandbox.telegram.keyboards import parse_reply_markup
from bot.sandbox.telegram.markup import FormattedText, format_text
from bot.sandbox.telegram.objects import file_json, message_json
from bot.sandbox.telegram.state import ChatMessage, ChatState, SandboxState, Upload

_MARKUP_ERROR = "can't parse reply keyboard markup JSON object"
_ENTITIES_ERROR = "can't parse entities JSON object"
_CHAT_ACTIONS = {
    "cancel": "cancel",
    "typing": "typing",
    "upload_photo": "upload_photo",
    "record_video": "record_video",
    "upload_video": "upload_video",
    "record_voice": "record_voice",
    "record_audio": "record_voice",
    "upload_voice": "upload_voice",
    "upload_audio": "upload_voice",
    "upload_document": "upload_document",
    "choose_sticker": "choose_sticker",
    "find_location": "find_location",
    "record_video_note": "record_video_note",
    "upload_video_note": "upload_video_note",
}


def _reply_target(state: SandboxState, chat: ChatState, params: Params) -> int | None:
    reply = params.json_value("reply_parameters", "can't parse ReplyParameters JSON object")
    message_id = reply.get("message_id") if isinstance(reply, dict) else params.integer("reply_to_message_id")
    if not message_id:
        return None
    if state.find_message(chat, int(message_id)) is not None:
        return int(message_id)
    tolerant = reply.get("allow_sending_without_reply") if isinstance(reply, dict) else None
    if tolerant or params.flag("allow_sending_without_reply"):
        return None
    raise bad_request("message to be replied not found")


def _deliver(call: Call, chat: ChatState, markup: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    """Final checks and storage of a bot message; call with the state lock held."""
    state = call.state
    reply_to = _reply_target(state, chat, call.params)
    ensure_reachable(chat)
    spend_flood_allowance(state, chat)
    message = state.add_message(
        chat, from_bot=True, reply_markup=markup, reply_to_message_id=reply_to, **fields
    )
    if markup is not None and "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup is not None and markup.get("remove_keyboard"):
        chat.reply_keyboard = None
    chat.chat_action = None  # a sent message ends the "typing…" indicator, as in the apps
    return message_json(state, message)


async def send_message(call: Call) -> Any:
    params = call.params
    raw = params.text("text")
    parse_mode = params.text("parse_mode")
    formatted = format_text(raw, parse_mode, params.json_value("entities", _ENTITIES_ERROR), what="text")
    markup, warnings = parse_reply_markup(params.json_value("reply_markup", _MARKUP_ERROR))
    with call.state.lock:
        chat = resolve_chat(call.state, params.text("chat_id"))
        result = _deliver(
            call,
            chat,
            markup,
            text=formatted.text,
            entities=formatted.entities,
            source_text=raw,
            parse_mode=parse_mode,
            warnings=warnings,
        )
    call.state.changed()
    return result


def _new_upload(state: SandboxState, kind: str, source: UploadedFile) -> Upload:
    if not source.data:
        raise bad_request("file must be non-empty")
    size = (0, 0)
    if kind == "photo":
        measured = image_size(source.data)
        if measured is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        size = measured
    guessed = mimetypes.guess_type(source.filename or "")[0]
    mime = guessed or source.content_type or "application/octet-stream"
    return state.new_upload(kind, source.data, source.filename, mime if kind == "document" else None, size)


def _existing_upload(state: SandboxState, kind: str, reference: str) -> Upload:
    upload = state.uploads.get(reference)
    if upload is None:
        if reference.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")  # the sandbox has no network to fetch it
        raise bad_request("wrong file identifier/HTTP URL specified")
    if upload.kind != kind:
        raise bad_request(f"can't use file of type {upload.kind.title()} as {kind.title()}")
    return upload


async def _send_file(call: Call, kind: str) -> Any:
    params = call.params
    source = params.input_file(kind)
    if source is None:
        raise bad_request(f"there is no {kind} in the request")
    raw = params.text("caption")
    parse_mode = params.text("parse_mode")
    caption = format_text(
        raw, parse_mode, params.json_value("caption_entities", _ENTITIES_ERROR), what="caption"
    )
    markup, warnings = parse_reply_markup(params.json_value("reply_markup", _MARKUP_ERROR))
    state = call.state
    with state.lock:
        chat = resolve_chat(state, params.text("chat_id"))
        if isinstance(source, str):
            upload = _existing_upload(state, kind, source)
        else:
            ensure_reachable(chat)  # refuse before storing bytes nobody will receive
            upload = _new_upload(state, kind, source)
        result = _deliver(
            call,
            chat,
            markup,
            caption=caption.text,
            caption_entities=caption.entities,
            source_text=raw,
            parse_mode=parse_mode,
            warnings=warnings,
            **{kind: upload},
        )
    state.changed()
    return result


async def send_document(call: Call) -> Any:
    return await _send_file(call, "document")


async def send_photo(call: Call) -> Any:
    return await _send_file(call, "photo")


def _message_to_edit(call: Call) -> tuple[ChatState, ChatMessage]:
    params = call.params
    if params.text("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the sandbox has no inline mode
    chat = resolve_chat(call.state, params.text("chat_id"))
    message_id = params.integer("message_id")
    if not message_id:
        raise bad_request("message identifier is not specified")
    message = call.state.find_message(chat, message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    ensure_reachable(chat)
    return chat, message


def _apply_edit(
    call: Call, message: ChatMessage, text: FormattedText | None, markup: dict[str, Any] | None
) -> Any:
    """Omitting reply_markup in an edit removes the inline keyboard, as in the real API."""
    new_text = message.text if text is None else text.text
    new_entities = message.entities if text is None else text.entities
    if (new_text, new_entities, markup) == (message.text, message.entities, message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    if text is not None:
        message.text, message.entities = text.text, text.entities
        message.source_text, message.parse_mode = call.params.text("text"), call.params.text("parse_mode")
    message.reply_markup = markup
    message.edit_date = call.state.now()
    message.edit_count += 1
    return message_json(call.state, message)


async def edit_message_text(call: Call) -> Any:
    params = call.params
    formatted = format_text(
        params.text("text"),
        params.text("parse_mode"),
        params.json_value("entities", _ENTITIES_ERROR),
        what="text",
    )
    markup, _ = parse_reply_markup(params.json_value("reply_markup", _MARKUP_ERROR), inline_only=True)
    with call.state.lock:
        _, message = _message_to_edit(call)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        result = _apply_edit(call, message, formatted, markup)
    call.state.changed()
    return result


async def edit_message_reply_markup(call: Call) -> Any:
    markup, _ = parse_reply_markup(call.params.json_value("reply_markup", _MARKUP_ERROR), inline_only=True)
    with call.state.lock:
        _, message = _message_to_edit(call)
        result = _apply_edit(call, message, None, markup)
    call.state.changed()
    return result


async def delete_message(call: Call) -> Any:
    """Bots may delete their own and the user's messages in a private chat."""
    with call.state.lock:
        chat = resolve_chat(call.state, call.params.text("chat_id"))
        message = call.state.find_message(chat, call.params.integer("message_id") or 0)
        if message is None:
            raise bad_request("message to delete not found")
        message.deleted = True
    call.state.changed()
    return True


async def send_chat_action(call: Call) -> Any:
    action = _CHAT_ACTIONS.get((call.params.text("action") or "").lower())
    if action is None:
        raise bad_request("wrong parameter action in request")
    with call.state.lock:
        chat = resolve_chat(call.state, call.params.text("chat_id"))
        ensure_reachable(chat)
        chat.chat_action = None if action == "cancel" else action
    call.state.changed()
    return True


async def get_file(call: Call) -> Any:
    file_id = call.params.text("file_id")
    if not file_id:
        raise bad_request("file_id not specified")
    with call.state.lock:
        upload = call.state.uploads.get(file_id)
        if upload is None:
            raise bad_request("invalid file_id")
        return file_json(upload)


HANDLERS: dict[str, Handler] = {
    "sendmessage": send_message,
    "senddocument": send_document,
    "sendphoto": send_photo,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "sendchataction": send_chat_action,
    "getfile": get_file,
}
