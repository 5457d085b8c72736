"""Hand due draft jobs to the workers, and put back what a lost message or a dead worker left."""

from __future__ import annotations

from kosmmos.jobs.queue import RowQueue
from kosmmos.proposals.models import DraftJob, JobStatus

drafts = RowQueue(
    model=DraftJob, task="kosmmos.proposals.tasks:draft_proposal", running=JobStatus.RUNNING,
    batch=50,
)
REQUEUE_AFTER = drafts.requeue_after
enqueue = drafts.enqueue
dispatch_due = drafts.dispatch_due
sweep_stuck = drafts.sweep_stuck
