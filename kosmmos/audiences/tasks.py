"""Thin Celery task: it takes an id and re-checks the row itself (jobs/queue.py)."""

from __future__ import annotations

from kosmmos.audiences import exports
from kosmmos.jobs.app import app


@app.task(name="audiences.run_export", ignore_result=True)
def run_export(export_id: str) -> None:
    exports.run(export_id)
