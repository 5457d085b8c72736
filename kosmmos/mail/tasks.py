from __future__ import annotations

import uuid

from kosmmos.jobs.app import app
from kosmmos.mail import delivery


@app.task(name="mail.send_delivery", ignore_result=True)
def send_delivery(delivery_id: str) -> None:
    """Send one email; safe to run twice for the same id (only one run claims it)."""
    delivery.send(uuid.UUID(str(delivery_id)))
