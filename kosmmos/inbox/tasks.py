from __future__ import annotations

import uuid

from kosmmos.inbox import actions, polling
from kosmmos.inbox.retrain import run as run_retrain
from kosmmos.jobs.app import app


@app.task(name="inbox.send_reply", ignore_result=True)
def send_reply(reply_id: str) -> None:
    """Post one reply; safe to run twice for the same id (only one run claims it)."""
    actions.send_reply(uuid.UUID(str(reply_id)))


@app.task(name="inbox.poll_channel", ignore_result=True)
def poll_channel(inbox_id: str) -> None:
    polling.poll(uuid.UUID(str(inbox_id)))


@app.task(name="inbox.retrain", ignore_result=True)
def retrain(run_id: str) -> None:
    run_retrain(uuid.UUID(str(run_id)))
