"""Hand due ORD jobs to the workers, put back what a lost message or a dead worker left, and
raise the deadline alerts (the ticker runs these)."""

from __future__ import annotations

from datetime import timedelta

from kosmmos.jobs.queue import RowQueue
from kosmmos.ord.models import Job, JobStatus

# Every ORD write is an upsert by our external id: a dead worker's job is simply done again.
# A duplicated message is harmless (the task claims its row or does nothing), so a message not
# picked up within a minute is sent again rather than waiting the default two.
jobs = RowQueue(model=Job, task="kosmmos.ord.tasks:run_job", running=JobStatus.SENDING,
                batch=200, requeue_after=timedelta(minutes=1),
                dead_worker_error="The worker stopped; sent again (upserts by our ids).")
dispatch_due = jobs.dispatch_due
sweep_stuck = jobs.sweep_stuck


def check_deadlines() -> int:
    from kosmmos.ord.alerts import warn_due_reports

    return warn_due_reports()
