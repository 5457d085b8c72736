from __future__ import annotations

from kosmmos.jobs.app import app
from kosmmos.ord import sync


@app.task(name="ord.run_job", ignore_result=True)
def run_job(job_id: str) -> None:
    """Run one ORD job; safe to run twice for the same id (only one run claims it)."""
    sync.run_job(job_id)
