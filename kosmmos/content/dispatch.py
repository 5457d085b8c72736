"""Hand big imports to the workers, and put back what a lost message or a dead worker left.

Registered in ``kosmmos.jobs.ticker.DISPATCHERS``. An import resumes at the first line without a
report row, so running it again never imports a line twice.
"""

from __future__ import annotations

from kosmmos.content.models import ImportRun
from kosmmos.jobs.queue import RowQueue

imports = RowQueue(
    model=ImportRun, task="kosmmos.content.tasks:import_plan", running=ImportRun.Status.RUNNING,
    batch=20, due_field=None,
)
REQUEUE_AFTER = imports.requeue_after
enqueue = imports.enqueue
kick = imports.kick
dispatch_due = imports.dispatch_due
sweep_stuck = imports.sweep_stuck
