"""A post's history in the viewer's language.

An entry keeps a message key and its parameters (``PostEvent.message``, ``PostEvent.params``),
never a sentence translated for whoever made the change: the sentence, the field names and the
dates are made when a page shows the entry, in that page's language and the agency's time zone.
Entries written before keep their ``text`` and read as they were.

The parameters are data only (names, values typed by people, ISO moments); every word of ours
in the sentence comes from here.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosmmos.content.models import PostEvent

FIELDS = {
    "title": gettext_lazy("Title"), "text": gettext_lazy("Text"),
    "hashtags": gettext_lazy("Hashtags"), "rubric": gettext_lazy("Rubric"),
    "publish_at": gettext_lazy("Publish at"), "is_ad": gettext_lazy("Advertising"),
    "advertiser": gettext_lazy("Advertiser"), "erid": "erid",
    "channels": gettext_lazy("Channels"), "media": gettext_lazy("Media"),
}

# Message keys of whole entries.
EDITED = "edited"
SCHEDULED = "scheduled"
RESCHEDULED = "rescheduled"
PUBLISHED_OUTSIDE = "published_outside"
EDITED_ON_NETWORK = "edited_on_network"
NOT_DELETABLE = "not_deletable"


def moment(when: datetime | None) -> str | None:
    """A moment as a parameter: ISO, shown later in the agency's time zone and the viewer's
    language."""
    return when.isoformat() if when else None


def render(event: PostEvent, tz: str) -> str:
    """The entry's text for the page: made from its message key, else the stored text."""
    make = _MESSAGES.get(event.message)
    if make is None:
        return event.text
    return make(event.params or {}, zoneinfo.ZoneInfo(tz))


def _when(value: Any, tz: zoneinfo.ZoneInfo) -> str:
    if not value:
        return "—"
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return str(formats.date_format(at.astimezone(tz), "j E Y, H:i"))


def _network(code: str) -> str:
    from kosmmos.content.validation import network_name

    return network_name(code)


def _line(item: dict[str, Any], tz: zoneinfo.ZoneInfo) -> str:
    """One changed field of an edit (``describe_changes``)."""
    if item.get("withdrawn"):
        return _("The approval was withdrawn: the content changed after it.")
    key = str(item.get("field", ""))
    if key == "variant":
        label = _("Text for %(network)s") % {"network": _network(str(item.get("network", "")))}
    else:
        label = str(FIELDS.get(key, key))
    if "diff" in item:
        value = str(item["diff"]) or _("whitespace")
    elif "bits" in item:
        value = ", ".join(item["bits"]) or _("new order")
    elif "flag" in item:
        value = _("yes") if item["flag"] else _("no")
    elif key == "publish_at":
        value = f"{_when(item.get('old'), tz)} → {_when(item.get('new'), tz)}"
    else:
        value = f"{item.get('old') or '—'} → {item.get('new') or '—'}"
    return f"{label}: {value}"


def _edited(p: dict[str, Any], tz: zoneinfo.ZoneInfo) -> str:
    return "\n".join(_line(item, tz) for item in p.get("lines", []))


def _scheduled(p: dict[str, Any], tz: zoneinfo.ZoneInfo) -> str:
    return f"{_when(p.get('at'), tz)} · {p.get('channels', '')}"


def _rescheduled(p: dict[str, Any], tz: zoneinfo.ZoneInfo) -> str:
    return f"{_when(p.get('from'), tz)} → {_when(p.get('to'), tz)}"


def _published_outside(p: dict[str, Any], tz: zoneinfo.ZoneInfo) -> str:
    url = p.get("url") or ""
    return f"{p.get('channel', '')}: " + _("published outside Kosmmos") + (f" {url}" if url else "")


def _edited_on_network(p: dict[str, Any], tz: zoneinfo.ZoneInfo) -> str:
    return f"{p.get('channel', '')}: " + _("edited on the network") + f"\n{p.get('text', '')}"


def not_deletable_note() -> str:
    return _("The network deletes posts only for a while after publishing; this one stays on "
             "the channel: delete it in the network itself.")


def _not_deletable(p: dict[str, Any], tz: zoneinfo.ZoneInfo) -> str:
    return f"{p.get('channel', '')}: {not_deletable_note()}"


_MESSAGES: dict[str, Callable[[dict[str, Any], zoneinfo.ZoneInfo], str]] = {
    EDITED: _edited, SCHEDULED: _scheduled, RESCHEDULED: _rescheduled,
    PUBLISHED_OUTSIDE: _published_outside, EDITED_ON_NETWORK: _edited_on_network,
    NOT_DELETABLE: _not_deletable,
}
