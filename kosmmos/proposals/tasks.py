from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from kosmmos.jobs.app import app
from kosmmos.jobs.claims import claim_one
from kosmmos.mail.models import backoff
from kosmmos.proposals.models import MAX_JOB_ATTEMPTS, DraftJob, JobStatus

log = logging.getLogger(__name__)

# Planning and a PDF take seconds; after this the sweep assumes the worker died.
LEASE = timedelta(minutes=5)


@app.task(name="proposals.draft_proposal", ignore_result=True)
def draft_proposal(job_id: str) -> None:
    """Run one draft job; safe to run twice for the same id (only one run claims it)."""
    run(uuid.UUID(str(job_id)))


def run(job_id: uuid.UUID) -> None:
    from kosmmos.proposals.actions import run_draft_job

    now = timezone.now()
    if not claim_one(DraftJob, job_id, JobStatus.QUEUED, status=JobStatus.RUNNING,
                     lease_until=now + LEASE, attempts=F("attempts") + 1):
        return
    job = DraftJob.objects.select_related("lead", "organisation").get(pk=job_id)
    started = time.monotonic()
    error = ""
    try:
        run_draft_job(job)
    except Exception as exc:  # recorded on the row; the job is retried with backoff
        error = f"{type(exc).__name__}: {exc}"
        log.exception("draft job %s attempt %s failed", job_id, job.attempts)
    mine = DraftJob.objects.filter(pk=job_id, status=JobStatus.RUNNING)
    done = timezone.now()
    duration = int((time.monotonic() - started) * 1000)
    if not error:
        mine.update(status=JobStatus.DONE, finished_at=done, lease_until=None, last_error="",
                    duration_ms=duration)
    elif job.attempts >= MAX_JOB_ATTEMPTS:
        mine.update(status=JobStatus.FAILED, finished_at=done, lease_until=None,
                    last_error=error, duration_ms=duration)
    else:
        mine.update(status=JobStatus.PENDING, lease_until=None, last_error=error,
                    next_attempt_at=done + backoff(job.attempts), duration_ms=duration)
