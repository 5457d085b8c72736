from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kosmmos.backup import schedule


def backup_status(request: HttpRequest) -> dict[str, object]:
    """``backup_status`` for the Settings page; queried only by a page that shows it."""
    return {"backup_status": SimpleLazyObject(schedule.status)}
