from __future__ import annotations

from kosmmos.giveaways import jobs, outreach
from kosmmos.jobs.app import app


@app.task(name="giveaways.advance", ignore_result=True)
def advance(giveaway_id: str) -> None:
    """One step of one giveaway; safe to run twice (only one run claims the row)."""
    jobs.advance(giveaway_id)


@app.task(name="giveaways.deliver", ignore_result=True)
def deliver(outreach_id: str) -> None:
    """One try of one outreach row; safe to run twice (only one run claims the row)."""
    outreach.deliver(outreach_id)
