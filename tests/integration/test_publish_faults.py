"""Posts are neither lost nor doubled when a worker dies, Redis restarts or the database does.

The real thing, small: ``kosmmos bench publish`` starts ``kosmmos serve`` (workers included)
and the sandbox network with its latency, 5xx and lost answers, schedules posts over a short run,
and strikes mid-run. Embedded: a worker is SIGKILLed. On PostgreSQL + Redis (the CI's second
pass), also the broker is emptied with its connections dropped (a restart of a Redis that keeps
nothing on disk) and every database connection is terminated (a database restart, as the
workers see it). Every post must be on the network exactly once.
"""

from __future__ import annotations

import pytest

from benches import publish

pytestmark = pytest.mark.slow


def run(monkeypatch: pytest.MonkeyPatch, postgres_url: str | None, redis_url: str | None,
        faults: str) -> dict:
    if postgres_url:
        monkeypatch.setenv("DATABASE_URL", postgres_url)
    if redis_url:
        monkeypatch.setenv("REDIS_URL", redis_url)
    return publish.run(["--posts", "240", "--channels", "60", "--burst", "40",
                        "--start-in", "8", "--run-seconds", "15", "--faults", faults])


def test_it_publishes_every_post_once_through_a_killed_worker_and_restarts(
        monkeypatch: pytest.MonkeyPatch, postgres_url: str | None, redis_url: str | None) -> None:
    scale = bool(postgres_url and redis_url)
    report = run(monkeypatch, postgres_url, redis_url,
                 "kill,redis,database" if scale else "kill")
    assert report["database"] == ("postgresql+redis" if scale else "sqlite+filesystem queue")
    assert (report["posts"], report["published"]) == (240, 240), report
    assert report["lost"] == 0 and report["duplicates"] == 0, report
    assert report["early"] == 0, report
    struck = {f["fault"]: f["effect"] for f in report["faults"]}
    assert "SIGKILL" in struck["kill"]
    if scale:
        assert "connections dropped" in struck["redis"], struck
        assert "database connections terminated" in struck["database"], struck
    # The kill landed while the worker held posts (claimed ahead of their second), the sweep
    # found them by its claim token, and every one was recovered.
    assert report["held_at_kill"] > 0, report
    assert report["held_by_killed_worker"] > 0, report
    assert report["killed_worker_recovery_s"] is not None, report
    assert report["killed_worker_recovery_s"] < 60, report
    assert report["lateness_p99_all_s"] is not None, report
