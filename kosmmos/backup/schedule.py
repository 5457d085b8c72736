"""Scheduled backups in the embedded set-up, with retention, and the "last backup" status.

The ticker (kosmmos/jobs/ticker.py) calls :func:`dispatch_due` every tick; once per
``BACKUP_EVERY_HOURS`` it creates that period's :class:`BackupRun` (unique on its slot, so one
ticker wins) and hands it to a worker. The worker writes the archive to ``BACKUP_DIR`` and keeps
the newest ``BACKUP_KEEP`` archives. At scale, backups are the operator's ``pg_dump`` (README).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kosmmos.backup.models import BackupRun

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=1)


def enabled() -> bool:
    return not settings.IS_POSTGRES and settings.BACKUP_EVERY_HOURS > 0


def dispatch_due(now: float | None = None) -> int:
    if not enabled():
        return 0
    slot = int((now or time.time()) // (settings.BACKUP_EVERY_HOURS * 3600))
    if BackupRun.objects.filter(slot=slot).exists():
        return 0
    try:
        with transaction.atomic():
            run = BackupRun.objects.create(slot=slot)
    except IntegrityError:
        return 0  # another ticker created it first
    from kosmmos.backup.tasks import run_backup

    transaction.on_commit(lambda: run_backup.delay(str(run.pk)))
    return 1


@dataclass(frozen=True)
class Status:
    last: BackupRun | None
    stale: bool  # the last good backup is older than a day (or there is none)
    enabled: bool


def status(now: datetime | None = None) -> Status:
    last = BackupRun.objects.filter(status=BackupRun.Status.DONE).first()
    now = now or timezone.now()
    stale = last is None or last.finished_at is None or now - last.finished_at > STALE_AFTER
    return Status(last=last, stale=enabled() and stale, enabled=enabled())
