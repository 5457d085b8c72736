from __future__ import annotations

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from kosmmos.backup.archive import make_backup, prune
from kosmmos.backup.log import audit_all
from kosmmos.backup.models import BackupRun
from kosmmos.jobs.app import app
from kosmmos.jobs.claims import claim_one

log = logging.getLogger(__name__)


@app.task(name="backup.run_backup", ignore_result=True)
def run_backup(run_id: str) -> None:
    """Make the scheduled backup; receiving the message twice makes one archive."""
    pk = uuid.UUID(str(run_id))
    if not claim_one(BackupRun, pk, BackupRun.Status.QUEUED, status=BackupRun.Status.RUNNING):
        return
    try:
        path = make_backup(Path(settings.BACKUP_DIR))
    except Exception as exc:
        log.exception("scheduled backup failed")
        BackupRun.objects.filter(pk=pk).update(status=BackupRun.Status.FAILED, error=str(exc),
                                               finished_at=timezone.now())
        audit_all("backup.failed", {"scheduled": True, "error": str(exc)[:500]})
        return
    BackupRun.objects.filter(pk=pk).update(
        status=BackupRun.Status.DONE, path=str(path), size_bytes=path.stat().st_size,
        finished_at=timezone.now())
    audit_all("backup.made", {"scheduled": True, "archive": path.name,
                              "size_bytes": path.stat().st_size})
    prune(Path(settings.BACKUP_DIR), settings.BACKUP_KEEP)
