from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.utils import timezone

from kosmmos.content.models import ImportRun
from kosmmos.jobs.app import app
from kosmmos.jobs.claims import claim_one

log = logging.getLogger(__name__)

# Long enough for 5,000 rows; a dead worker's import is resumed after it.
LEASE = timedelta(minutes=15)


@app.task(name="content.import_plan", ignore_result=True)
def import_plan(run_id: str) -> None:
    """Import a big content-plan file; safe to receive twice (only one claim wins)."""
    from kosmmos.content.importer import run_import

    pk = uuid.UUID(str(run_id))
    if not claim_one(ImportRun, pk, ImportRun.Status.QUEUED, status=ImportRun.Status.RUNNING,
                     lease_until=timezone.now() + LEASE):
        return
    run = ImportRun.objects.select_related("workspace__organisation", "created_by").get(pk=pk)
    try:
        run_import(run)
    except Exception as exc:  # recorded on the row for the person who uploaded it
        log.exception("import %s failed", pk)
        ImportRun.objects.filter(pk=pk, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}", lease_until=None,
            finished_at=timezone.now())
