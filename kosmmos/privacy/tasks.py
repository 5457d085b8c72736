from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.utils import timezone

from kosmmos.jobs.app import app
from kosmmos.privacy.models import OrganisationExport
from kosmmos.privacy.queue import exports

log = logging.getLogger(__name__)

# An agency-size export takes minutes; a dead worker's export is made again from the start.
LEASE = timedelta(hours=1)


@app.task(name="privacy.export_organisation", ignore_result=True)
def export_organisation(export_id: str) -> None:
    """Make an organisation's export; safe to receive twice (only one claim wins)."""
    from kosmmos.privacy.export import make_export

    pk = uuid.UUID(str(export_id))
    if not exports.start(pk, LEASE):
        return
    export = OrganisationExport.objects.select_related("organisation").get(pk=pk)
    try:
        path = make_export(export)
    except Exception as exc:  # shown on the settings page; the owner asks again
        log.exception("export %s failed", pk)
        OrganisationExport.objects.filter(pk=pk, status=OrganisationExport.Status.RUNNING).update(
            status=OrganisationExport.Status.FAILED, last_error=f"{type(exc).__name__}: {exc}",
            lease_until=None, finished_at=timezone.now())
        return
    OrganisationExport.objects.filter(pk=pk, status=OrganisationExport.Status.RUNNING).update(
        status=OrganisationExport.Status.DONE, path=str(path), size_bytes=path.stat().st_size,
        lease_until=None, finished_at=timezone.now())
