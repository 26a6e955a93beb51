"""chat.* methods: posting, editing and deleting the app's messages, ephemerals and permalinks."""

from __future__ import annotations

from typing import Any

from bot.sandbox.slack.methods import ApiError, Args, CallContext, Handler
from bot.sandbox.slack.models import JSON, Channel
from bot.sandbox.slack.records import Ephemeral, Message
from bot.sandbox.slack.state import SandboxState

MAX_POST_TEXT = 40_000  # chat.postMessage truncates beyond this
MAX_UPDATE_TEXT = 4_000  # chat.update refuses beyond this (msg_too_long)


def postable_channel(state: SandboxState, ref: str | None) -> Channel:
    """The channel the bot may write to, or the error Slack gives for it."""
    channel = state.find_channel(ref) if ref else None
    if channel is None:
        raise ApiError("channel_not_found")
    if channel.is_archived:
        raise ApiError("is_archived")
    if not channel.is_im and not channel.bot_member:
        raise ApiError("not_in_channel")
    return channel


def message_content(args: Args) -> tuple[str | None, list[JSON] | None, Any]:
    """(text, blocks, attachments) with Slack's rules for markdown_text and the no_text error."""
    text, blocks, attachments = args.text("text"), args.blocks(), args.structured("attachments")
    markdown = args.text("markdown_text")
    if markdown is not None:
        if text is not None or blocks is not None:
            raise ApiError("markdown_text_conflict")
        text, blocks = markdown, [{"type": "markdown", "text": markdown, "block_id": "sb000"}]
    if text is None and not blocks and not attachments:
        raise ApiError("no_text")
    return text, blocks, attachments


def bot_message(state: SandboxState, channel: Channel, text: str, **fields: Any) -> Message:
    """Store a message authored by the app's bot user, shaped like the ones Slack stores."""
    ws = state.ws
    thread_ts = fields.pop("thread_ts", None)
    parent = state.find_message(channel.id, thread_ts) if thread_ts else None
    if parent is not None and parent.thread_ts not in (None, parent.ts):
        thread_ts = parent.thread_ts  # a reply's ts means "that thread", as in Slack
    extra: JSON = {"team": ws.team_id, "app_id": ws.app_id, **fields.pop("extra", {})}
    extra["bot_profile"] = {
        "id": ws.bot_id,
        "app_id": ws.app_id,
        "name": ws.bot_name,
        "deleted": False,
        "team_id": ws.team_id,
        "icons": {"image_48": "https://avatars.example/bot_48.png"},
    }
    message = Message(
        channel=channel.id,
        ts=state.next_ts(channel.id),
        seq=state.next_seq(),
        user=ws.bot_user_id,
        text=text,
        bot_id=ws.bot_id,
        thread_ts=thread_ts,
        extra=extra,
        parent_user_id=(parent.user if parent else None) if thread_ts else None,
        **fields,
    )
    return state.add_message(message)


def post_message(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    channel = postable_channel(state, args.text("channel"))
    text, blocks, attachments = message_content(args)
    extra: JSON = {}
    if args.flag("reply_broadcast") and args.text("thread_ts"):
        extra["subtype"] = "thread_broadcast"
    if (metadata := args.structured("metadata")) is not None:
        extra["metadata"] = metadata
    message = bot_message(
        state,
        channel,
        (text or "")[:MAX_POST_TEXT],
        blocks=blocks,
        attachments=attachments,
        thread_ts=args.text("thread_ts"),
        extra=extra,
    )
    return {"channel": channel.id, "ts": message.ts, "message": message.to_json()}


def _own_message(args: Args, ctx: CallContext, refusal: str) -> tuple[Channel, Message]:
    """The app's own message named by `channel` and `ts`, with Slack's errors when it is not one."""
    state = ctx.state
    channel = state.find_channel(args.text("channel") or "")
    if channel is None:
        raise ApiError("channel_not_found")
    message = state.find_message(channel.id, args.text("ts") or "")
    if message is None:
        raise ApiError("message_not_found")
    if message.bot_id != state.ws.bot_id:
        raise ApiError(refusal)
    return channel, message


def update_message(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    channel, message = _own_message(args, ctx, "cant_update_message")
    text, blocks, attachments = message_content(args)
    if text is not None and len(text) > MAX_UPDATE_TEXT:
        raise ApiError("msg_too_long")
    with state.locked():
        if blocks is not None:
            message.blocks = blocks  # Slack shows no "edited" flag for block updates
        elif text is not None:
            message.blocks = None  # text without blocks removes the old blocks
            message.edited = {"user": state.ws.bot_user_id, "ts": f"{int(state.now())}.000000"}
        if text is not None:
            message.text = text
        if attachments is not None:
            message.attachments = attachments
        if (metadata := args.structured("metadata")) is not None:
            message.extra["metadata"] = metadata
        state.touch()
    return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": message.to_json()}


def delete_message(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    channel, message = _own_message(args, ctx, "cant_delete_message")
    with state.locked():
        state.messages[channel.id].remove(message)
        state.touch()
    return {"channel": channel.id, "ts": message.ts}


def post_ephemeral(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    channel = postable_channel(state, args.text("channel"))
    user = args.text("user") or ""
    if user not in state.users or (user not in channel.members and channel.im_user != user):
        raise ApiError("user_not_in_channel")
    text, blocks, attachments = message_content(args)
    ephemeral = add_ephemeral(
        state, channel.id, user, text or "", blocks, attachments, args.text("thread_ts"), "chat.postEphemeral"
    )
    return {"message_ts": ephemeral.ts}


def add_ephemeral(
    state: SandboxState,
    channel: str,
    user: str,
    text: str,
    blocks: list[JSON] | None,
    attachments: Any,
    thread_ts: str | None,
    source: str,
) -> Ephemeral:
    ephemeral = Ephemeral(
        channel=channel,
        user=user,
        ts=state.next_ts(channel),
        seq=state.next_seq(),
        text=text,
        blocks=blocks,
        attachments=attachments,
        thread_ts=thread_ts,
        source=source,
    )
    with state.locked():
        state.ephemerals.append(ephemeral)
        state.touch()
    return ephemeral


def get_permalink(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    channel = state.find_channel(args.text("channel") or "")
    if channel is None:
        raise ApiError("channel_not_found")
    message = state.find_message(channel.id, args.text("message_ts") or "")
    if message is None:
        raise ApiError("message_not_found")
    link = f"{state.ws.url}archives/{channel.id}/p{message.ts.replace('.', '')}"
    if message.thread_ts not in (None, message.ts):
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update_message,
    "chat.delete": delete_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}
