"""Thin Celery tasks: they take ids (and a claim token) and re-check the rows themselves.

A duplicated or redelivered message is harmless: every task claims its rows conditionally
first and does nothing with rows that moved on. The dispatcher (dispatch.py) names these tasks
rather than importing them: this module is the top of publishing.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import task_prerun, worker_init, worker_shutdown

from kosmmos.jobs.app import app
from kosmmos.publishing import dispatch, edits, engine, reconcile, runner, stats

log = logging.getLogger(__name__)


@worker_init.connect
def _warm_up(**_: Any) -> None:
    # Before the worker takes messages: a burst should not wait for threads and HTTP clients.
    runner.warm_up()


@worker_shutdown.connect
def _stop_runner(**_: Any) -> None:
    # The scheduler stops before the pool; calls not started go back for another worker.
    handed = runner.shutdown()
    if handed:
        log.warning("handed back %d publishing calls not started", handed)


# Publishing tasks only claim and hand over (they return in milliseconds); every other task
# waits a moment while this worker has due calls not yet started (runner.yield_to_publishing).
LATENCY_CRITICAL = {"publishing.publish_targets", "publishing.reconcile_targets"}
OTHER_TASKS_WAIT = 0.5


@task_prerun.connect
def _publishing_first(task: Any = None, **_: Any) -> None:
    if task is not None and task.name not in LATENCY_CRITICAL and not task.request.is_eager:
        runner.yield_to_publishing(OTHER_TASKS_WAIT)


@app.task(name="publishing.publish_targets", ignore_result=True, bind=True)
def publish_targets(self: Any, target_ids: list[str], hops: int = 0) -> None:
    """Claim and publish a batch. In a worker the calls run on its runner (runner.py) and the
    task returns at once; run eagerly (tests) it does everything before returning.

    A worker already behind by more than a round of its threads passes the batch on once
    (``hops``), so a burst spreads over the workers instead of queueing in whichever fetched
    its messages first. A batch already due is never passed on.
    """
    if not self.request.is_eager and hops < 1 and runner.should_pass_on(target_ids):
        publish_targets.apply_async(args=[target_ids], kwargs={"hops": hops + 1})
        return
    engine.publish_batch(target_ids, inline=bool(self.request.is_eager))


@app.task(name="publishing.reconcile_targets", ignore_result=True, bind=True)
def reconcile_targets(self: Any, target_ids: list[str], token: str) -> None:
    # Posts found absent are due again at once: claimed now rather than at the next tick.
    reconcile.reconcile_batch(target_ids, token, inline=bool(self.request.is_eager),
                              on_due=dispatch.kick)


@app.task(name="publishing.run_actions", ignore_result=True)
def run_actions(target_ids: list[str], token: str) -> None:
    edits.run_actions(target_ids, token)


@app.task(name="publishing.collect_post_stats", ignore_result=True)
def collect_post_stats(target_ids: list[str]) -> None:
    stats.collect_post_stats(target_ids)


@app.task(name="publishing.collect_followers", ignore_result=True)
def collect_followers(channel_ids: list[str]) -> None:
    stats.collect_followers(channel_ids)
