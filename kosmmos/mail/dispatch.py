"""Hand due emails to the workers, and put back what a lost message or a dead worker left."""

from __future__ import annotations

from kosmmos.jobs.queue import RowQueue
from kosmmos.mail.models import Delivery, Status

emails = RowQueue(
    model=Delivery, task="kosmmos.mail.tasks:send_delivery", running=Status.SENDING, batch=200
)
REQUEUE_AFTER = emails.requeue_after
enqueue = emails.enqueue
dispatch_due = emails.dispatch_due
sweep_stuck = emails.sweep_stuck
