"""The organisation exports' row queue (claimed by the ticker, run by ``tasks``)."""

from __future__ import annotations

from kosmmos.jobs.queue import RowQueue
from kosmmos.privacy.models import OrganisationExport

exports = RowQueue(model=OrganisationExport, task="kosmmos.privacy.tasks:export_organisation",
                   running=OrganisationExport.Status.RUNNING, due_field=None, batch=5)
