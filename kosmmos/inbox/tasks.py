from __future__ import annotations

import uuid

from kosmmos.jobs.app import app


@app.task(name="inbox.send_reply", ignore_result=True)
def send_reply(reply_id: str) -> None:
    """Post one reply; safe to run twice for the same id (only one run claims it)."""
    from kosmmos.inbox.actions import send_reply as send

    send(uuid.UUID(str(reply_id)))


@app.task(name="inbox.poll_channel", ignore_result=True)
def poll_channel(inbox_id: str) -> None:
    from kosmmos.inbox.polling import poll

    poll(uuid.UUID(str(inbox_id)))


@app.task(name="inbox.retrain", ignore_result=True)
def retrain(run_id: str) -> None:
    from kosmmos.inbox.retrain import run

    run(uuid.UUID(str(run_id)))
