"""Writing events. Features raise them with ``kosmmos.lib.events.emit`` (any layer); ``record``
is its receiver here and writes the row in the caller's transaction, so the event exists exactly
when the change does. Fan-out to in-app, email, Telegram and webhooks happens after commit.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import IntegrityError, transaction

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.lib.events import Notable
from kosmmos.notifications import kinds
from kosmmos.notifications.models import Event, Severity

after_commit_hooks: list[Any] = []  # the dispatcher registers its kick here (no upward import)


def emit(
    kind: str, *, organisation: Organisation | Any, title: str, body: str = "", url: str = "",
    workspace: Workspace | Any = None, severity: str | None = None, dedupe_key: str = "",
    payload: dict[str, Any] | None = None,
) -> Event | None:
    """Record one event; ``None`` when an event with the same ``dedupe_key`` already exists."""
    spec = kinds.get(kind)
    level = severity or (Severity.URGENT if spec.urgent else Severity.INFO)
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller's work
            event = Event.objects.create(
                organisation_id=getattr(organisation, "pk", organisation),
                workspace_id=getattr(workspace, "pk", workspace), kind=kind, severity=level,
                title=title[:300], body=body, url=url[:500], dedupe_key=dedupe_key[:200], payload=payload or {},
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return None
    for hook in after_commit_hooks:
        transaction.on_commit(partial(hook, event))
    return event


def record(sender: str, event: Notable, **_: Any) -> Event | None:
    """The receiver of ``lib.events.notable``."""
    return emit(event.kind, organisation=event.organisation_id, title=event.title,
                body=event.body, url=event.url, workspace=event.workspace_id,
                severity=event.severity, dedupe_key=event.dedupe_key, payload=event.payload)
