"""What happens in the workspace (messages, views, handed-out tokens, files), in Slack's JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.sandbox.slack.element_state import view_state
from bot.sandbox.slack.models import JSON, Workspace


@dataclass
class Message:
    """A message in a channel or thread, as conversations.history returns it."""

    channel: str
    ts: str
    seq: int
    user: str
    text: str = ""
    bot_id: str | None = None
    blocks: list[JSON] | None = None
    attachments: list[JSON] | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    files: list[JSON] = field(default_factory=list)
    edited: JSON | None = None
    extra: JSON = field(default_factory=dict)

    def to_json(self, replies: list[Message] | None = None) -> JSON:
        out: JSON = {"type": "message", "text": self.text, "user": self.user, "ts": self.ts}
        if self.bot_id is not None:
            out["bot_id"] = self.bot_id
        out.update(self.extra)
        for key in ("blocks", "attachments", "edited"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.files:
            out["files"] = self.files
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        if self.parent_user_id is not None:
            out["parent_user_id"] = self.parent_user_id
        if replies:
            users = list(dict.fromkeys(r.user for r in replies))
            out.update(
                thread_ts=self.ts,
                reply_count=len(replies),
                reply_users_count=len(users),
                latest_reply=replies[-1].ts,
                reply_users=users,
                is_locked=False,
                subscribed=False,
            )
        return out


@dataclass
class Ephemeral:
    """A message only `user` sees; Slack never returns these from the API, only the driver does."""

    channel: str
    user: str
    ts: str
    seq: int
    text: str = ""
    blocks: list[JSON] | None = None
    attachments: list[JSON] | None = None
    thread_ts: str | None = None
    source: str = "chat.postEphemeral"
    deleted: bool = False

    def to_json(self) -> JSON:
        out: JSON = {
            "type": "message",
            "channel": self.channel,
            "user": self.user,
            "ts": self.ts,
            "text": self.text,
            "source": self.source,
        }
        for key in ("blocks", "attachments", "thread_ts"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass
class View:
    """A modal or home tab: the app's definition plus the ids, hash and input state Slack adds."""

    id: str
    user: str
    definition: JSON
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    values: dict[str, dict[str, JSON]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    closed: bool = False

    @property
    def type(self) -> str:
        return str(self.definition.get("type", ""))

    def to_json(self, ws: Workspace) -> JSON:
        d = self.definition
        return {
            "id": self.id,
            "team_id": ws.team_id,
            "type": self.type,
            "title": d.get("title"),
            "submit": d.get("submit"),
            "close": d.get("close"),
            "blocks": d.get("blocks", []),
            "private_metadata": d.get("private_metadata", ""),
            "callback_id": d.get("callback_id", ""),
            "external_id": d.get("external_id", ""),
            "state": {"values": view_state(d.get("blocks", []), self.values)},
            "hash": self.hash,
            "clear_on_close": bool(d.get("clear_on_close", False)),
            "notify_on_close": bool(d.get("notify_on_close", False)),
            "submit_disabled": bool(d.get("submit_disabled", False)),
            "root_view_id": self.root_view_id,
            "previous_view_id": self.previous_view_id,
            "app_id": ws.app_id,
            "app_installed_team_id": ws.team_id,
            "bot_id": ws.bot_id,
        }


@dataclass
class Trigger:
    id: str
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    """Where an app answers an interaction; `original` is the message a replace/delete acts on."""

    token: str
    channel: str
    user: str
    issued_at: float
    original: tuple[str, str] | None = None  # ("message" | "ephemeral", ts)
    uses: int = 0


@dataclass
class StoredFile:
    id: str
    name: str
    length: int
    user: str
    created: int
    title: str = ""
    content: bytes | None = None
    completed: bool = False
    shares: dict[str, list[JSON]] = field(default_factory=dict)  # channel id -> share records
