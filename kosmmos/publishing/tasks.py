"""Thin Celery tasks: they take ids (and a claim token) and re-check the rows themselves.

A duplicated or redelivered message is harmless: every task claims its rows conditionally
first and does nothing with rows that moved on.
"""

from __future__ import annotations

from typing import Any

from celery.signals import worker_init

from kosmmos.jobs.app import app


@worker_init.connect
def _warm_up(**_: Any) -> None:
    # Before the worker takes messages: a burst should not wait for threads and HTTP clients.
    from kosmmos.publishing.runner import warm_up

    warm_up()


@app.task(name="publishing.publish_targets", ignore_result=True, bind=True)
def publish_targets(self: Any, target_ids: list[str]) -> None:
    """Claim and publish a batch. In a worker the calls run on its runner (runner.py) and the
    task returns at once; run eagerly (tests) it does everything before returning."""
    from kosmmos.publishing.engine import publish_batch

    publish_batch(target_ids, inline=bool(self.request.is_eager))


@app.task(name="publishing.reconcile_targets", ignore_result=True, bind=True)
def reconcile_targets(self: Any, target_ids: list[str], token: str) -> None:
    from kosmmos.publishing.engine import reconcile_batch

    reconcile_batch(target_ids, token, inline=bool(self.request.is_eager))


@app.task(name="publishing.run_actions", ignore_result=True)
def run_actions(target_ids: list[str], token: str) -> None:
    from kosmmos.publishing.edits import run_actions as run

    run(target_ids, token)


@app.task(name="publishing.collect_post_stats", ignore_result=True)
def collect_post_stats(target_ids: list[str]) -> None:
    from kosmmos.publishing.stats import collect_post_stats as collect

    collect(target_ids)


@app.task(name="publishing.collect_followers", ignore_result=True)
def collect_followers(channel_ids: list[str]) -> None:
    from kosmmos.publishing.stats import collect_followers as collect

    collect(channel_ids)
