"""Raising an event from any layer: the stream's door, as ``mailing`` is email's.

A feature calls ``emit`` inside the transaction of the change it reports; the notifications app
(the top layer, which knows who wants to hear what) receives the signal synchronously and writes
the event row in that same transaction, then fans it out after commit. Lower packages so never
import the layer that delivers, and there is still one stream and one dispatcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal

notable = Signal()  # sender: the kind's code; keyword ``event``: a Notable


@dataclass(frozen=True)
class Notable:
    kind: str
    organisation_id: Any
    title: str
    body: str = ""
    url: str = ""
    workspace_id: Any = None
    severity: str | None = None  # None: the kind's default
    dedupe_key: str = ""  # the same key again is a no-op: "one alert per metric and month"
    payload: dict[str, Any] = field(default_factory=dict)


class NotListening(RuntimeError):
    """No receiver took the event: the notifications app is not installed."""


def emit(
    kind: str, *, organisation: Any, title: str, body: str = "", url: str = "",
    workspace: Any = None, severity: str | None = None, dedupe_key: str = "",
    payload: dict[str, Any] | None = None,
) -> Any:
    """Raise one event; answers the stored event, or ``None`` when ``dedupe_key`` was seen."""
    event = Notable(
        kind=kind, organisation_id=getattr(organisation, "pk", organisation), title=title,
        body=body, url=url, workspace_id=getattr(workspace, "pk", workspace), severity=severity,
        dedupe_key=dedupe_key, payload=payload or {},
    )
    answers = notable.send(sender=kind, event=event)
    if not answers:
        raise NotListening(kind)
    return answers[0][1]
