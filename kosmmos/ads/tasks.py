"""Thin Celery task: it takes an id and re-checks the row itself (jobs/queue.py)."""

from __future__ import annotations

from kosmmos.ads import imports
from kosmmos.jobs.app import app


@app.task(name="ads.import_cabinet", ignore_result=True)
def import_cabinet(cabinet_id: str) -> None:
    imports.run(cabinet_id)
