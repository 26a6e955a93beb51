"""Writing domain events to the outbox table in the unit of work's transaction, and reading them back.

Events are plain frozen dataclasses; nothing has to be declared per event. A row names its event's
class as `module:QualName` (a registry by that name, filled as events are written, and by import
when a fresh process reads an older row), and holds its fields as JSON in which every value that
JSON alone cannot bring back (a tuple, a date, a Decimal, a nested dataclass such as a notice's
LocalText under an `object` annotation) is tagged with its kind. Reading a row gives back an event
equal to the one written. (pydantic's TypeAdapter was the first idea; it decodes by the annotation,
and the notices' values are annotated `object`, so a date or a LocalText came back as a string or
a dict.)

A row is written per destination (the adapter that delivers it: telegram, slack) so each adapter
delivers, retries and gives up on its own part; `aggregate` (the customer, else the ticket, …)
orders the rows one adapter delivers.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import insert
from sqlmodel import Session

from storage.models.outbox import PENDING, OutboxMessage

DESTINATIONS: Final = ("telegram", "slack")
AGGREGATE_FIELDS: Final = ("customer_id", "conversation_id", "ticket_id", "campaign_id", "job_name")
"""The first of these an event has (and is not None) orders its delivery: one customer's events
arrive in the order they were committed."""
IMPORTABLE: Final = ("bot.", "handlers.")
"""Packages whose event classes a process may import to read a row it did not write itself."""

_REGISTRY: dict[str, type] = {}


class UnknownEvent(LookupError):
    """A row names an event class this version does not have (renamed, removed, or not a dataclass)."""


@dataclass(frozen=True)
class OutboxRoute:
    """Where a unit of work's events go: the destinations that get a row each, and what to wake
    after the commit (the senders; called from whatever thread committed)."""

    destinations: tuple[str, ...] = DESTINATIONS
    on_commit: Callable[[Collection[str]], None] | None = None
    """Called with the destinations that got rows, after the commit (from the committing thread)."""
    unwanted: Callable[[str, type], bool] | None = None
    """(destination, event class) → True: write no row (that adapter runs in this process and does
    not react to the event, so its sender would only delete the row)."""


def type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def register(cls: type) -> str:
    """Know `cls` by its name from now on (done for every event written)."""
    name = type_name(cls)
    if _REGISTRY.get(name) is not cls:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"an event must be a dataclass, not {name}")
        _REGISTRY[name] = cls
    return name


def resolve(name: str) -> type:
    found = _REGISTRY.get(name)
    if found is not None:
        return found
    module, _, qualname = name.partition(":")
    if not module.startswith(IMPORTABLE) or not qualname:
        raise UnknownEvent(name)
    try:
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise UnknownEvent(name) from exc
    if not isinstance(target, type) or not dataclasses.is_dataclass(target):
        raise UnknownEvent(name)
    _REGISTRY[name] = target
    return target


# --- the JSON form ----------------------------------------------------------------------------


def _encode(value: object) -> Any:
    if isinstance(value, enum.Enum):
        return {"enum": register_enum(type(value)), "v": _encode(value.value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"t": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("event dictionaries need string keys")
        return {"m": {key: _encode(item) for key, item in value.items()}}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"tm": value.isoformat()}
    if isinstance(value, timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"dc": register(type(value)), "f": _fields(value)}
    raise TypeError(f"an event field cannot hold a {type(value).__name__}: {value!r}")


def register_enum(cls: type[enum.Enum]) -> str:
    name = type_name(cls)
    _REGISTRY.setdefault(name, cls)
    return name


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(value: Any) -> dict[str, Any]:
    names = _FIELDS.get(type(value))
    if names is None:
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value) if f.init)
    return {name: _encode(getattr(value, name)) for name in names}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    (tag,) = (key for key in value if key not in ("f", "v"))
    body = value[tag]
    if tag == "t":
        return tuple(_decode(item) for item in body)
    if tag == "m":
        return {key: _decode(item) for key, item in body.items()}
    if tag == "dt":
        return datetime.fromisoformat(body)
    if tag == "d":
        return date.fromisoformat(body)
    if tag == "tm":
        return time.fromisoformat(body)
    if tag == "td":
        return timedelta(seconds=body)
    if tag == "dec":
        return Decimal(body)
    if tag == "dc":
        return _build(body, value["f"])
    if tag == "enum":
        cls = _REGISTRY.get(body) or _import_enum(body)
        return cls(_decode(value["v"]))
    raise ValueError(f"unknown tag {tag!r} in an outbox payload")


def _import_enum(name: str) -> Any:
    module, _, qualname = name.partition(":")
    if not module.startswith(IMPORTABLE):
        raise UnknownEvent(name)
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _build(name: str, fields: dict[str, Any]) -> object:
    cls = resolve(name)
    return cls(**{key: _decode(item) for key, item in fields.items()})


def encode_event(event: object) -> tuple[str, str]:
    """(type name, payload) of `event`; TypeError for a value the outbox cannot keep."""
    name = register(type(event))
    return name, json.dumps(_fields(event), ensure_ascii=False, separators=(",", ":"))


def decode_event(name: str, payload: str) -> object:
    """The event a row holds; UnknownEvent if this version has no such class."""
    try:
        return _build(name, json.loads(payload))
    except UnknownEvent:
        raise
    except (TypeError, ValueError, KeyError) as exc:  # the class changed its fields since
        raise UnknownEvent(f"{name}: {exc}") from exc


def aggregate_of(event: object) -> str | None:
    for field in AGGREGATE_FIELDS:
        value = getattr(event, field, None)
        if value is not None:
            return f"{field.removesuffix('_id')}:{value}"[:64]
    return None


@dataclass(frozen=True)
class Written:
    rows: int
    destinations: frozenset[str]
    ids: tuple[int, ...] = ()
    """Only when asked for (RETURNING costs a third of the insert on SQLite)."""


NOTHING = Written(0, frozenset())


def write_events(
    session: Session,
    events: Sequence[object],
    destinations: Sequence[str],
    unwanted: Callable[[str, type], bool] | None = None,
    *,
    with_ids: bool = False,
) -> Written:
    """Insert a row per event and destination, in the session's transaction (after its pending
    changes are flushed, on the session's connection: the ORM's own execute path costs more)."""
    if not events or not destinations:
        return NOTHING
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for event in events:
        name, payload = encode_event(event)  # also checks an event nobody wants is storable
        aggregate = aggregate_of(event)
        wanted = [d for d in destinations if unwanted is None or not unwanted(d, type(event))]
        rows.extend(
            {
                "destination": destination,
                "event_type": name,
                "aggregate": aggregate,
                "payload": payload,
                "state": PENDING,
                "created_at": now,
                "failures": 0,
                "last_error": "",
                "done": "[]",
            }
            for destination in wanted
        )
    if not rows:
        return NOTHING
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    session.flush()
    connection = session.connection()
    written = frozenset(row["destination"] for row in rows)
    if not with_ids:
        connection.execute(insert(table), rows)
        return Written(len(rows), written)
    ids = tuple(int(i) for i in connection.execute(insert(table).returning(table.c.id), rows).scalars())
    return Written(len(rows), written, ids)
