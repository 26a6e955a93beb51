"""The three-step external upload (get URL, POST bytes to it, complete) and serving the stored bytes."""

from __future__ import annotations

import mimetypes
from email.parser import BytesParser
from email.policy import HTTP

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.sandbox.slack.chat import bot_message, postable_channel
from bot.sandbox.slack.methods import ApiError, Args, CallContext, Handler
from bot.sandbox.slack.models import JSON
from bot.sandbox.slack.records import StoredFile
from bot.sandbox.slack.state import SandboxState


def get_upload_url(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    filename, length = args.text("filename"), args.number("length", -1)
    if filename is None or length < 0:
        raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] filename and length"]})
    if length == 0:
        raise ApiError("missing_argument")
    file = StoredFile(
        id=state.new_id("F"),
        name=filename,
        length=length,
        user=state.ws.bot_user_id,
        created=int(state.now()),
    )
    ticket = state.new_id("", 24).lower()
    with state.locked():
        state.files[file.id] = file
        state.upload_tickets[ticket] = file.id
    return {"upload_url": f"{ctx.base_url}upload/v1/{ticket}", "file_id": file.id}


def complete_upload(args: Args, ctx: CallContext) -> JSON:
    state = ctx.state
    entries = args.structured("files")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] files"]})
    files: list[StoredFile] = []
    for entry in entries:
        file = state.files.get(str(entry.get("id", "")))
        if file is None or file.content is None:
            raise ApiError("file_not_found")
        files.append(file)
    refs = [args.text("channel_id")] if args.text("channel_id") else (args.text("channels") or "").split(",")
    channels = [postable_channel(state, ref) for ref in refs if ref]
    if len(channels) > 100:
        raise ApiError("channels_limit_exceeded")
    comment = args.text("initial_comment")
    blocks = None if comment is not None else args.blocks()
    with state.locked():
        for file, entry in zip(files, entries, strict=True):
            file.title, file.completed = str(entry.get("title") or file.name), True
        for channel in channels:
            message = bot_message(
                state,
                channel,
                comment or "",
                blocks=blocks,
                thread_ts=args.text("thread_ts"),
                extra={"upload": True, "display_as_bot": False},
            )
            for file in files:
                share: JSON = {
                    "ts": message.ts,
                    "channel_name": channel.name,
                    "team_id": state.ws.team_id,
                    "share_user_id": state.ws.bot_user_id,
                    "source": "UNKNOWN",
                    "reply_users": [],
                    "reply_users_count": 0,
                    "reply_count": 0,
                }
                if message.thread_ts:
                    share["thread_ts"] = message.thread_ts
                file.shares.setdefault(channel.id, []).append(share)
            message.files = [file_json(state, f, ctx.base_url) for f in files]
        state.touch()
    return {"files": [file_json(state, f, ctx.base_url) for f in files]}


def file_json(state: SandboxState, file: StoredFile, base_url: str) -> JSON:
    """A file object as files.completeUploadExternal and file share messages carry it."""
    ws = state.ws
    mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    filetype = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else "binary"
    public = {c: s for c, s in file.shares.items() if state.channels[c].channel_type == "channel"}
    private = {c: s for c, s in file.shares.items() if c not in public}
    private_url = f"{base_url}files-pri/{ws.team_id}-{file.id}/"
    return {
        "id": file.id,
        "created": file.created,
        "timestamp": file.created,
        "name": file.name,
        "title": file.title or file.name,
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": filetype.upper(),
        "user": file.user,
        "user_team": ws.team_id,
        "editable": False,
        "size": file.length,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": bool(public),
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": private_url + file.name,
        "url_private_download": f"{private_url}download/{file.name}",
        "permalink": f"{ws.url}files/{file.user}/{file.id}/{file.name}",
        "permalink_public": f"https://slack-files.com/{ws.team_id}-{file.id}-sandbox",
        "channels": [c for c in public],
        "groups": [c for c in private if c.startswith(("G", "C"))],
        "ims": [c for c in private if c.startswith("D")],
        "comments_count": 0,
        "has_rich_preview": False,
        "file_access": "visible",
        "shares": {k: v for k, v in (("public", public), ("private", private)) if v},
    }


def _uploaded_bytes(content_type: str, body: bytes) -> bytes:
    """The file bytes from a raw body (slack-sdk) or a multipart form with a `file` part (curl -F)."""
    if not content_type.startswith("multipart/form-data"):
        return body
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    return body


def routes(state: SandboxState) -> list[Route]:
    """The upload target and url_private, which live outside /api/ as on files.slack.com."""

    async def upload(request: Request) -> Response:
        data = _uploaded_bytes(request.headers.get("content-type", ""), await request.body())
        with state.locked():
            file_id = state.upload_tickets.pop(request.path_params["ticket"], None)
            if file_id is None:
                return PlainTextResponse("invalid upload ticket", status_code=404)
            state.files[file_id].content = data
        return PlainTextResponse(f"OK - {len(data)}")

    async def private(request: Request) -> Response:
        file = state.files.get(request.path_params["ref"].rsplit("-", 1)[-1])
        if request.headers.get("authorization") != f"Bearer {state.ws.bot_token}":
            # Slack answers unauthenticated url_private fetches with its HTML sign-in page, not an error.
            return HTMLResponse("<!DOCTYPE html><html><body>Sign in to Slack</body></html>")
        if file is None or file.content is None:
            return PlainTextResponse("file not found", status_code=404)
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return Response(file.content, media_type=media_type)

    return [
        Route("/upload/v1/{ticket}", upload, methods=["POST"]),
        Route("/files-pri/{ref}/{name}", private),
        Route("/files-pri/{ref}/download/{name}", private),
    ]


def legacy_upload(args: Args, ctx: CallContext) -> JSON:
    raise ApiError("method_deprecated")  # files.upload was sunset on 12 Nov 2025; use files_upload_v2


METHODS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.upload": legacy_upload,
}
