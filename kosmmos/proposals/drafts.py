"""The due row behind "a new brief gets a draft proposal". Kept apart from ``actions`` because
``briefs.actions`` calls it, and ``proposals.actions`` imports ``briefs.actions``."""

from __future__ import annotations

from django.db import transaction

from kosmmos.briefs.models import Lead
from kosmmos.proposals.models import DraftJob


def request_draft(lead: Lead) -> DraftJob:
    """The due row that gets the lead its first draft; started as soon as the brief commits
    (and by the dispatcher at the next tick if that kick is lost)."""
    job = DraftJob.objects.create(organisation=lead.organisation, lead=lead)
    transaction.on_commit(lambda: kick_draft(job.pk))
    return job


def kick_draft(job_id: object) -> None:
    """Claim a pending job and enqueue it now rather than at the next tick."""
    from kosmmos.proposals.dispatch import drafts

    drafts.kick(job_id)
