"""Read-only snapshots of chat messages for tests and the playground (state keeps changing under them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.telegram.entities import plain_slice
from bot.sandbox.telegram.keyboards import inline_buttons
from bot.sandbox.telegram.state import ChatMessage, Upload


@dataclass(frozen=True)
class FileView:
    file_id: str
    kind: str
    filename: str | None
    mime_type: str | None
    size: int
    width: int
    height: int
    data: bytes = field(repr=False)

    @classmethod
    def of(cls, upload: Upload) -> FileView:
        return cls(
            upload.file_id,
            upload.kind,
            upload.filename,
            upload.mime_type,
            len(upload.data),
            upload.width,
            upload.height,
            upload.data,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "kind": self.kind,
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size": self.size,
            "width": self.width,
            "height": self.height,
            "url": f"/sandbox/files/{self.file_id}",
        }


@dataclass(frozen=True)
class MessageView:
    """A message as the user sees it now: rendered text (caption for media), entities, buttons, files."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None
    entities: tuple[dict[str, Any], ...]
    source_text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    document: FileView | None
    photo: FileView | None
    contact: dict[str, Any] | None
    edit_count: int
    deleted: bool
    warnings: tuple[str, ...]

    @classmethod
    def of(cls, message: ChatMessage) -> MessageView:
        media = message.document is not None or message.photo is not None
        return cls(
            message_id=message.message_id,
            chat_id=message.chat_id,
            from_bot=message.from_bot,
            date=message.date,
            text=message.caption if media else message.text,
            entities=tuple(dict(e) for e in (message.caption_entities if media else message.entities)),
            source_text=message.source_text,
            parse_mode=message.parse_mode,
            reply_markup=message.reply_markup,
            document=FileView.of(message.document) if message.document else None,
            photo=FileView.of(message.photo) if message.photo else None,
            contact=dict(message.contact) if message.contact else None,
            edit_count=message.edit_count,
            deleted=message.deleted,
            warnings=tuple(message.warnings),
        )

    @property
    def buttons(self) -> list[list[str]]:
        """Labels of the inline keyboard (or reply keyboard) sent with the message, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[button["text"] for button in row] for row in rows]

    def callback_data(self, label: str) -> str:
        for button in inline_buttons(self.reply_markup):
            if button["text"] == label and "callback_data" in button:
                return str(button["callback_data"])
        raise KeyError(f"no callback button {label!r} on message {self.message_id}: {self.buttons}")

    def entity_texts(self, kind: str) -> list[str]:
        """The text covered by each entity of a type, e.g. entity_texts("bold")."""
        return [plain_slice(self.text or "", e) for e in self.entities if e["type"] == kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "from_bot": self.from_bot,
            "date": self.date,
            "text": self.text,
            "entities": list(self.entities),
            "source_text": self.source_text,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "document": self.document.to_json() if self.document else None,
            "photo": self.photo.to_json() if self.photo else None,
            "contact": self.contact,
            "edit_count": self.edit_count,
            "deleted": self.deleted,
            "warnings": list(self.warnings),
        }
