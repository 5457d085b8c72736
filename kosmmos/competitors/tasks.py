from __future__ import annotations

import uuid

from kosmmos.competitors import collect, listening
from kosmmos.jobs.app import app


@app.task(name="competitors.read_community", ignore_result=True)
def read_community(community_id: str) -> None:
    """Read one community; safe to run twice for the same id (only one run claims it)."""
    collect.read_community(uuid.UUID(str(community_id)))


@app.task(name="competitors.search_mentions", ignore_result=True)
def search_mentions(query_id: str) -> None:
    listening.search_mentions(int(query_id))
