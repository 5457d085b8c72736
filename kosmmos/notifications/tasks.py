"""Celery tasks: each takes an id and re-reads the row; running one twice does nothing more."""

from __future__ import annotations

import uuid

from kosmmos.jobs.app import app


@app.task(name="notifications.fan_out", ignore_result=True)
def fan_out(event_ids: list[str]) -> None:
    from kosmmos.notifications.fanout import fan_out as run

    for pk in event_ids:
        run(uuid.UUID(str(pk)))


@app.task(name="notifications.send_delivery", ignore_result=True)
def send_delivery(delivery_id: str) -> None:
    from kosmmos.notifications.sending import send_delivery as run

    run(uuid.UUID(str(delivery_id)))


@app.task(name="notifications.send_webhook", ignore_result=True)
def send_webhook(delivery_id: str) -> None:
    from kosmmos.notifications.webhooks import send as run

    run(uuid.UUID(str(delivery_id)))
