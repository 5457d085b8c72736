from __future__ import annotations

import uuid

from kosmmos.jobs.app import app
from kosmmos.links import metrica


@app.task(name="links.send_metrica_upload", ignore_result=True)
def send_metrica_upload(upload_id: str) -> None:
    """Upload one CSV to Metrica; safe to run twice for the same id (only one run claims it)."""
    metrica.send(uuid.UUID(str(upload_id)))
