"""Request parameters the way the Bot API reads them: query string, JSON, url-encoded or multipart.

python-telegram-bot 22 posts `data=RequestData.json_parameters` through httpx: strings as-is and
everything else JSON-encoded, url-encoded without files and multipart/form-data with them
(`InputFile`s become parts named after the parameter, or `attach://name`). The real server also
accepts a JSON body, where nested objects arrive as objects rather than JSON strings; both work here.
python-multipart is not installed, so multipart bodies are split by hand (simple and exact).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from bot.sandbox.telegram.errors import ApiError, bad_request


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Typed access to one call's parameters, coercing form strings like the real server."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def integer(self, name: str) -> int | None:
        """Integers; garbage reads as 0 as in the real server (which then reports what 0 means)."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool | int):
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            return 0

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return 0.0

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)

    def json_value(self, name: str, error: str) -> Any:
        """A JSON-serialized parameter (reply_markup...), as object or JSON string; `error` if unreadable."""
        value = self.values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise bad_request(error) from exc
        return value

    def input_file(self, name: str) -> UploadedFile | str | None:
        """An uploaded part, or the string given instead (file_id or URL); follows attach://name."""
        if name in self.files:
            return self.files[name]
        value = self.text(name)
        if value and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return value or None


async def read_params(request: Request) -> Params:
    values: dict[str, Any] = dict(request.query_params)
    files: dict[str, UploadedFile] = {}
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return Params(values, files)
    if media_type == "application/json":
        try:
            decoded = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise bad_request("can't parse JSON encoded request") from exc
        if isinstance(decoded, dict):
            values.update(decoded)
    elif media_type == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if match is None:
            raise bad_request("can't parse multipart/form-data request: boundary not found")
        fields, files = parse_multipart(body, match.group(1).encode("latin-1"))
        values.update(fields)
    else:
        try:
            values.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError as exc:
            raise ApiError(400, "Bad Request: text must be encoded in UTF-8") from exc
    return Params(values, files)


_PARAM = re.compile(r';\s*([\w*-]+)="((?:[^"\\]|\\.)*)"|;\s*([\w*-]+)=([^;\s]+)')


def _header_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for quoted_name, quoted, plain_name, plain in _PARAM.findall(value):
        name = (quoted_name or plain_name).lower()
        raw = quoted if quoted_name else plain
        # httpx escapes '"' and newlines in names the HTML5 way (%22, %0A, %0D).
        params[name] = raw.replace("%22", '"').replace("%0A", "\n").replace("%0D", "\r")
    return params


def parse_multipart(body: bytes, boundary: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into text fields and file parts (a part with a filename)."""
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise bad_request("can't parse multipart/form-data request: part without headers")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, val = line.partition(":")
            headers[key.strip().lower()] = val.strip()
        disposition = _header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            continue  # a part without a name carries no parameter; the real server ignores it too
        content = content.removesuffix(b"\r\n")
        if "filename" in disposition:
            files[name] = UploadedFile(name, disposition["filename"], headers.get("content-type"), content)
        else:
            try:
                fields[name] = content.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ApiError(400, "Bad Request: text must be encoded in UTF-8") from exc
    return fields, files
