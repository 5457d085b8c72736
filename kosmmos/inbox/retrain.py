"""A workspace retrains the sentiment model on its own labelled items (the managers' corrections).

The job (a RetrainRun row, claimed like every job) splits the labelled items — stratified, 20 %
held out — trains ``train.train_model`` on the rest, scores the new model and the current one
(the workspace's own model, else the default) on the same held-out items, and switches the
workspace to the new model only when it scores strictly better (macro-F1). The file is our
non-pickle ``.npz`` under ``$KOSMMOS_VAR/inbox-models/<workspace>/``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone

from kosmmos.accounts.models import User, Workspace
from kosmmos.inbox.models import InboxProfile, Item, RetrainRun, RunStatus
from kosmmos.jobs.queue import RowQueue

log = logging.getLogger(__name__)

MIN_ITEMS = 20
HELD_OUT = 0.2
LEASE_MINUTES = 30

# Training runs as due rows (kosmmos/jobs/queue.py): every pending run is due at once; the
# ticker dispatches and sweeps them (inbox/dispatch.py), the task (inbox/tasks.py) runs ``run``.
retrain_jobs = RowQueue(
    model=RetrainRun, task="kosmmos.inbox.tasks:retrain", running=RunStatus.RUNNING,
    due_field=None, batch=10, after_dead_worker=RunStatus.FAILED,
    dead_worker_updates={"error": "The worker stopped during training.", "finished_at": Now()},
)


def request_retrain(workspace: Workspace, user: User) -> RetrainRun:
    """Start a run unless one is already waiting or training for this workspace."""
    with transaction.atomic():
        running = RetrainRun.objects.select_for_update().filter(
            workspace=workspace, status__in=[RunStatus.PENDING, RunStatus.QUEUED,
                                             RunStatus.RUNNING]).first()
        if running:
            return running
        run_row = RetrainRun.objects.create(organisation_id=workspace.organisation_id,
                                            workspace=workspace, requested_by=user)
        transaction.on_commit(lambda: retrain_jobs.kick(run_row.pk))
    return run_row


def labelled(workspace: Workspace) -> tuple[list[str], list[str]]:
    rows = Item.objects.filter(workspace=workspace, sentiment_manual=True).exclude(
        text="").exclude(sentiment="").order_by("created_at").values_list("text", "sentiment")
    texts, labels = [], []
    for text, label in rows:
        texts.append(text)
        labels.append(label)
    return texts, labels


def model_dir(workspace_id: Any) -> Path:
    return Path(settings.VAR_DIR) / "inbox-models" / str(workspace_id)


def _progress(run_id: Any, progress: int, stage: str, values: dict[str, Any] | None = None,
              **more: Any) -> None:
    """Record the stage by its code (``models.RETRAIN_MESSAGES``): the page translates it."""
    RetrainRun.objects.filter(pk=run_id).update(progress=progress, stage=stage,
                                                stage_values=values or {}, **more)


def run(run_id: uuid.UUID) -> None:
    if not retrain_jobs.start(run_id, timedelta(minutes=LEASE_MINUTES)):
        return
    row = RetrainRun.objects.select_related("workspace").get(pk=run_id)
    try:
        _train(row)
    except Exception as exc:
        log.exception("retraining %s failed", run_id)
        RetrainRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(), lease_until=None)


class NotEnoughData(Exception):
    pass


def _train(row: RetrainRun) -> None:
    from kosmmos.inbox.sentiment import classify
    from kosmmos.inbox.sentiment import train as training
    from kosmmos.inbox.sentiment.metrics import classification_report

    workspace = row.workspace
    _progress(row.pk, 5, "collecting")
    texts, labels = labelled(workspace)
    if len(texts) < MIN_ITEMS or len(set(labels)) < 2:
        RetrainRun.objects.filter(pk=row.pk).update(
            status=RunStatus.FAILED, progress=100, n_items=len(texts), finished_at=timezone.now(),
            error="not_enough_items",
            error_values={"n": len(texts), "k": len(set(labels)), "min": MIN_ITEMS})
        return
    kept, held = training.stratified_split(labels, HELD_OUT, seed=0)
    held_texts, held_labels = [texts[i] for i in held], [labels[i] for i in held]
    _progress(row.pk, 20, "training", {"n": len(kept)}, n_items=len(texts), n_held_out=len(held))
    model = training.train_model([texts[i] for i in kept], [labels[i] for i in kept],
                                 info={"workspace": str(workspace.pk), "run": str(row.pk)})
    _progress(row.pk, 70, "scoring", {"n": len(held)})
    new_score = training.evaluate(model, held_texts, held_labels)["macro_f1"]
    profile, _created = InboxProfile.objects.get_or_create(
        workspace=workspace, defaults={"organisation_id": workspace.organisation_id})
    spec = f"linear:{profile.model_path}" if profile.model_path else None
    predicted = [p.label for p in classify(held_texts, spec)]
    current_score = classification_report(held_labels, predicted)["macro_f1"]
    keep = new_score > current_score
    _progress(row.pk, 90, "saving" if keep else "keeping", new_score=new_score,
              current_score=current_score)
    now = timezone.now()
    if keep:
        path = model_dir(workspace.pk) / f"{row.pk.hex}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        training.save(model, path)
        InboxProfile.objects.filter(pk=profile.pk).update(
            model_path=str(path), model_score=new_score, base_score=current_score,
            model_trained_at=now)
    RetrainRun.objects.filter(pk=row.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.DONE, progress=100, kept=keep, finished_at=now, lease_until=None,
        stage="activated" if keep else "kept_current", stage_values={})


def use_default_model(profile: InboxProfile) -> None:
    InboxProfile.objects.filter(pk=profile.pk).update(model_path="", model_score=None)
