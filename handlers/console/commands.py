"""The console's little language: one line, one thing a person does (or a check, in scripts)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

HELP = """\
:customer TEXT       the customer sends TEXT in Telegram (/start, /points, or words)
:staff TEXT          the staff member types in #channel (/crm find Ann, or a message)
:thread TEXT         the staff member replies in the thread of the latest alert
:tap N|LABEL         the customer taps a button (inline or keyboard), by number or label
:share               the customer shares their phone number
:click N|LABEL       the staff member clicks a Slack button, by number or label
:submit TEXT         fill the open modal's first field with TEXT and submit
:submit A=x; B=y     fill fields by label, then submit
:cancel              close the open modal
:home                open the staff member's App Home
:as NAME|N           play another customer or staff member (:who lists them)
:who                 who is who
:advance 1d|6h       move the clock forward (daily jobs that become due run at once)
:digest              /crm digest (the daily digest, now)
:campaign [SEGMENT]  retention-bot survey send --segment SEGMENT (default all)
:look                show what changed (an empty line does too)
:expect customer|staff|any REGEX   (scripts) wait up to 30 s for matching output, else fail
:quit                stop the demo
A line without a leading ':' goes to whoever spoke last. In any line, {customer_id}, {phone}
and {name} stand for the customer you are playing."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(d|day|days|h|hour|hours|m|min|minutes)?\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
VERBS = {
    "customer", "staff", "thread", "tap", "share", "click", "submit", "cancel", "home", "as", "who",
    "advance", "digest", "campaign", "look", "expect", "quit", "help",
}  # fmt: skip


class UsageError(ValueError):
    """A line the console cannot act on; the message says what to type instead."""


@dataclass(frozen=True)
class Command:
    verb: str
    arg: str = ""


def parse(line: str, default_role: str) -> Command | None:
    """None for blank lines and `# comments`; plain text goes to `default_role`."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if not text.startswith(":"):
        return Command(default_role, text)
    verb, _, arg = text[1:].partition(" ")
    verb = verb.lower()
    if verb not in VERBS:
        raise UsageError(f"unknown command :{verb}; :help lists them")
    if verb in ("customer", "staff", "thread", "tap", "click", "as", "expect") and not arg.strip():
        raise UsageError(f":{verb} needs an argument; :help shows how")
    return Command(verb, arg.strip())


def duration(text: str) -> timedelta:
    match = _DURATION.match(text or "1d")
    if match is None:
        raise UsageError(f"cannot read {text!r} as a duration; try 1d, 2d or 6h")
    unit = _UNITS[(match.group(2) or "d")[0]]
    return timedelta(**{unit: float(match.group(1))})


def expectation(arg: str) -> tuple[str, re.Pattern[str]]:
    side, _, pattern = arg.partition(" ")
    if side not in ("customer", "staff", "any") or not pattern.strip():
        raise UsageError(":expect customer|staff|any REGEX")
    try:
        return side, re.compile(pattern.strip(), re.IGNORECASE)
    except re.error as exc:
        raise UsageError(f"bad pattern {pattern!r}: {exc}") from None


def form_values(arg: str) -> dict[str, str] | str:
    """`A=x; B=y` → {"A": "x", "B": "y"}; anything else is the text for the first field."""
    parts = [p for p in arg.split(";") if p.strip()]
    if parts and all(re.match(r"^\s*[\w .'-]+=", p) for p in parts):
        return {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in parts)}
    return arg
