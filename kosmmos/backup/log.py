"""Backups in the audit log."""

from __future__ import annotations

from kosmmos.accounts.models import Organisation
from kosmmos.audit.log import record


def audit_all(action: str, changes: dict[str, object]) -> None:
    """A backup holds every organisation's data: each one's log says it was made (or failed).
    Written after the archive, so the archive never holds its own row."""
    for org_id in Organisation.objects.values_list("pk", flat=True):
        record(org_id, action, target="backup", changes=changes)
