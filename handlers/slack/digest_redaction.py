"""Redacting an erased customer from digest messages already posted (SPEC §10).

When it posts (or updates) a digest, the Slack part records which customers the message names and
the fingerprints of the lines naming them in shared sections (detractors, feedback, kind words,
tickets, …): by then the names are still in the database, afterwards they are not. An at-risk
customer's own blocks carry their id (`digest_c_`, `digest_a_`, `digest_s_`), in the message and in
its "see all" thread. Redacting replaces the customer's block and lines with "erased customer" and
drops their buttons and status lines; everything else in the message stays as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from bot.services.digest import Digest
from handlers.slack.blocks.common import display_name, escape, section

OWN_BLOCKS = re.compile(r"^digest_([cas])_(\d+)$")
"""An at-risk customer's section, buttons and status lines."""
RANK = re.compile(r"^\d+\. ")


def fingerprint(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()[:16]


def _named(digest: Digest) -> Iterator[tuple[int, str | None, str]]:
    """(customer id, name, external id) of everyone any list of the digest shows."""
    for field in dataclasses.fields(digest):
        value = getattr(digest, field.name)
        if not isinstance(value, tuple):
            continue
        for item in value:
            customer_id = getattr(item, "customer_id", None)
            external_id = getattr(item, "external_id", None)
            if isinstance(customer_id, int) and isinstance(external_id, str):
                yield customer_id, getattr(item, "name", None), external_id


def _shared_lines(blocks: list[dict[str, Any]]) -> Iterator[str]:
    for block in blocks:
        if block.get("type") != "section" or OWN_BLOCKS.match(str(block.get("block_id") or "")):
            continue
        text = (block.get("text") or {}).get("text")
        if isinstance(text, str):
            yield from text.split("\n")


def mentions(digest: Digest, blocks: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Everyone the message names → fingerprints of the shared lines naming them (by their name as
    shown or their id, as whole words)."""
    lines = list(_shared_lines(blocks))
    found: dict[int, list[str]] = {}
    for customer_id, name, external_id in _named(digest):
        words = {escape(external_id), display_name(name, external_id)}
        patterns = [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)") for w in words if w]
        mine = found.setdefault(customer_id, [])
        for line in lines:
            print_ = fingerprint(line)
            if print_ not in mine and any(p.search(line) for p in patterns):
                mine.append(print_)
    return found


def redact(
    blocks: list[dict[str, Any]], erased: Mapping[int, set[str]], erased_text: str
) -> list[dict[str, Any]]:
    """The blocks with the erased customers' own blocks and lines replaced by `erased_text`."""
    prints = set().union(*erased.values()) if erased else set()
    out: list[dict[str, Any]] = []
    for block in blocks:
        block_id = str(block.get("block_id") or "")
        own = OWN_BLOCKS.match(block_id)
        if own and int(own.group(2)) in erased:
            if own.group(1) == "c":
                text = str((block.get("text") or {}).get("text") or "")
                rank = RANK.match(text)
                out.append(section(f"{rank.group(0) if rank else ''}_{erased_text}_", block_id=block_id))
            continue  # their buttons and status lines go with them
        body = (block.get("text") or {}).get("text") if block.get("type") == "section" else None
        if isinstance(body, str) and prints and not own:
            lines = body.split("\n")
            kept = [f"• _{erased_text}_" if fingerprint(line) in prints else line for line in lines]
            if kept != lines:
                block = {**block, "text": {**block["text"], "text": "\n".join(kept)}}
        out.append(block)
    return out
