"""Recording, filtering and exporting audit events."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from datetime import date
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from kosmmos.audit.models import ACTION_LABELS, Event
from kosmmos.lib.ratelimit import client_ip

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

# The actions recorded, for the filter on the log page (codes and labels: audit/models.py).
ACTIONS = list(ACTION_LABELS.items())


def record(
    organisation: Any, action: str, *, target: Any = "", changes: Mapping[str, Any] | None = None,
    actor: Any = None, ip: str | None = None, request: HttpRequest | None = None,
) -> Event:
    """Append one event. ``organisation`` is an Organisation or its id (None: no organisation,
    as for a failed sign-in with an unknown address). The actor and address default to the
    request being served; inside a rolled-back transaction the event is rolled back too."""
    request = request or current_request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    if ip is None and request is not None:
        ip = client_ip(request)
    org_id = organisation.pk if isinstance(organisation, Model) else organisation
    target_text = target if isinstance(target, str) else f"{type(target).__name__} {target.pk}"
    return Event.objects.create(
        organisation_id=org_id, action=action, target=target_text[:200],
        changes=json.loads(json.dumps(dict(changes or {}), default=str)),
        actor=actor, actor_email=getattr(actor, "email", "") or "", ip=ip or None,
    )


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def filter_events(events: QuerySet[Event], params: Mapping[str, str]) -> QuerySet[Event]:
    """The filters of the log page: action (prefix), who (part of the address), from/to dates."""
    if action := params.get("action", "").strip():
        events = events.filter(action__startswith=action)
    if who := params.get("who", "").strip():
        events = events.filter(actor_email__icontains=who)
    for key, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        try:
            day = date.fromisoformat(params.get(key, "").strip())
        except ValueError:
            continue
        events = events.filter(**{lookup: day})
    return events


CSV_HEADER = ["at", "who", "ip", "action", "object", "changes"]


def csv_rows(events: Iterable[Event]) -> Iterable[str]:
    """The events as CSV lines (a header first), streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_HEADER)
    yield flush()
    for event in events:
        writer.writerow([
            event.at.isoformat(), event.actor_email, event.ip or "", event.action, event.target,
            json.dumps(event.changes, ensure_ascii=False, sort_keys=True) if event.changes else "",
        ])
        yield flush()
