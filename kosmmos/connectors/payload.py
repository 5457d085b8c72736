"""Reading untrusted payloads for the inbound side: a field of the wrong type is a
``Drop("bad_payload")``, never an exception that escapes. Shared by the network folders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kosmmos.connectors.base import ATTACHMENTS, Drop, Incoming


def string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Drop("bad_payload", f"expected a string or number, got {type(value).__name__}")
    return str(value)


def ident(value: Any, what: str = "id", *, required: bool = True) -> str:
    """An id the network documents as an integer (VK's schema, Telegram's Integer), as text.
    Strict: a number sent as a string (``"77"``), a float or a boolean is ``bad_payload``, so
    a payload is either read as documented or dropped with a counted reason — never half
    accepted. ``required=False`` reads a missing (null) field as ""."""
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Drop("bad_payload", f"{what} is not an integer: {type(value).__name__}")
    return str(value)


def stamp(value: Any, what: str = "date") -> datetime:
    """A date the network documents as an integer Unix time (VK ``date``, Telegram ``date``,
    ``edit_date``): strict like ``ident``; a missing one is now."""
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Drop("bad_payload", f"{what} is not an integer Unix time")
    return when(value)


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Drop("bad_payload", "expected an integer")
    try:
        return int(value)
    except ValueError:
        raise Drop("bad_payload", "expected an integer") from None


def mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Drop("bad_payload", f"{what} is not an object")
    return value


def text(value: Any) -> tuple[str, bool]:
    """The text, whole (the inbox pipeline cleans it and cuts it at ``TEXT_MAX``), and False."""
    return string(value), False


def attachments(value: Any, names: dict[str, str] | None = None) -> list[str]:
    """The kinds of a list of ``{"type": ...}`` attachments (VK's shape), each a name of
    ``ATTACHMENTS`` (``names`` maps the network's own; an unknown type is "other")."""
    if not isinstance(value, list):
        return []
    found = [str(a.get("type", "")).lower() for a in value[:50] if isinstance(a, dict)]
    return [k if k in ATTACHMENTS else (names or {}).get(k, "other") for k in found]


def when(value: Any) -> datetime:
    """A Unix time; now when there is none."""
    if value in (None, ""):
        return datetime.now(UTC)
    try:
        stamp = float(value)
    except (TypeError, ValueError):
        stamp = -1.0
    if isinstance(value, bool) or not 0 <= stamp < 10**10:  # 10**10 s: milliseconds, or far off
        raise Drop("time_invalid", f"not unix seconds: {str(value)[:40]}")
    return datetime.fromtimestamp(stamp, tz=UTC)


def missing(name: str) -> str:
    raise Drop("bad_payload", f"no {name}")


def answer(external_id: str, parent_ref: str, at: datetime, body: Any) -> Incoming | None:
    """The ``answered`` change for our reply ``external_id`` to ``parent_ref`` (None for a
    reply to nothing); the text is shown in the thread and tells which Kosmmos reply, if any,
    it is."""
    if not parent_ref:
        return None
    said, _cut = text(body) if isinstance(body, str) else ("", False)
    return Incoming(action="answered", external_id=external_id, parent_ref=parent_ref,
                    received_at=at, text=said)
