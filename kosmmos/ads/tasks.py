"""Thin Celery tasks: they take ids and re-check the rows themselves (jobs/queue.py)."""

from __future__ import annotations

from kosmmos.ads import exports, imports
from kosmmos.jobs.app import app


@app.task(name="ads.import_cabinet", ignore_result=True)
def import_cabinet(cabinet_id: str) -> None:
    imports.run(cabinet_id)


@app.task(name="ads.run_export", ignore_result=True)
def run_export(export_id: str) -> None:
    exports.run(export_id)
