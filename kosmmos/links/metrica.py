"""Yandex.Metrica offline conversions: the CSV its upload API takes, and the upload job.

An upload is a row (``MetricaUpload``) claimed like every job (jobs/claims.py): pending → queued
(dispatcher) → sending (task, with a lease) → done / pending again / failed; each try is a
``MetricaAttempt`` row shown on the Metrica page with a retry button.

Retrying is only automatic when Metrica surely did not take the file: 429/420 (quota; we wait
for Retry-After) and connect failures. After a timeout or a 5xx the outcome is unknown (the file
may have been accepted): the upload is marked failed with that said, and a person checks
"uploadings" in Metrica before pressing Retry. A blind retry could count the conversions twice.
"""

from __future__ import annotations

import csv
import io
import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kosmmos.accounts.models import User, Workspace
from kosmmos.jobs.claims import claim_one
from kosmmos.jobs.queue import RowQueue
from kosmmos.lib import http
from kosmmos.links.models import (
    MAX_UPLOAD_ATTEMPTS,
    Conversion,
    MetricaAttempt,
    MetricaUpload,
    MoneySettings,
    UploadStatus,
)

log = logging.getLogger(__name__)

COLUMNS = ["ClientId", "PurchaseId", "Target", "DateTime", "Price", "Currency"]
LEASE = timedelta(minutes=5)
REQUEUE_AFTER = timedelta(minutes=2)
BATCH = 50


def pending_conversions(workspace: Workspace) -> list[Conversion]:
    """Conversions not yet sent, in the past (Metrica refuses future times)."""
    return list(Conversion.objects.filter(
        workspace=workspace, metrica_upload__isnull=True, occurred_at__lte=timezone.now()
    ).order_by("occurred_at")[:100_000])


def export_csv(rows: list[Conversion], goal: str) -> str:
    """The upload CSV: UTF-8, header row, DateTime in unix seconds, PurchaseId always set."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in rows:
        writer.writerow([
            c.ym_client_id, c.event_id, c.name or goal or c.kind, int(c.occurred_at.timestamp()),
            f"{c.amount:.2f}", c.currency,
        ])
    return out.getvalue()


def create_upload(workspace: Workspace, money: MoneySettings, user: User | None) -> MetricaUpload | None:
    """Freeze the pending conversions into one upload row; None when there is nothing to send."""
    with transaction.atomic():
        rows = pending_conversions(workspace)
        if not rows:
            return None
        upload = MetricaUpload.objects.create(
            organisation_id=workspace.organisation_id, workspace=workspace,
            csv_text=export_csv(rows, money.metrica_goal), row_count=len(rows), created_by=user,
        )
        Conversion.objects.filter(pk__in=[c.pk for c in rows]).update(metrica_upload=upload)
    transaction.on_commit(lambda: kick(upload.pk))
    return upload


uploads = RowQueue(
    model=MetricaUpload, task="kosmmos.links.tasks:send_metrica_upload",
    running=UploadStatus.SENDING, batch=BATCH, requeue_after=REQUEUE_AFTER,
    # A dead worker's upload: the outcome is unknown, so it is not re-sent blindly.
    after_dead_worker=UploadStatus.FAILED,
    dead_worker_error="The worker stopped during the upload; check the uploadings list in Metrica, then retry.",
)
enqueue = uploads.enqueue
kick = uploads.kick
dispatch_due = uploads.dispatch_due
sweep_stuck = uploads.sweep_stuck


def retry(upload: MetricaUpload) -> bool:
    return uploads.retry_failed(upload.pk, UploadStatus.FAILED)


class Outcome:
    def __init__(self, ok: bool, *, error: str = "", status: int | None = None,
                 retry_after: float | None = None, uploading_id: str = "") -> None:
        self.ok, self.error, self.status = ok, error, status
        self.retry_after, self.uploading_id = retry_after, uploading_id


def upload_file(counter: str, token: str, csv_text: str) -> Outcome:
    """POST the CSV. Doc: https://yandex.ru/dev/metrika/doc/api2/management/offline_conversion/upload.html"""
    url = f"{settings.METRICA_API_URL}/management/v1/counter/{counter}/offline_conversions/upload"
    try:
        response = http.post(
            url, params={"type": "BASIC"}, headers={"Authorization": f"OAuth {token}"},
            files={"file": ("conversions.csv", csv_text.encode(), "text/csv")}, timeout=30.0,
        )
    except http.HttpError as exc:
        if exc.maybe_sent:
            return Outcome(False, error=f"{exc} — the outcome is unknown; check the uploadings list "
                                        "in Metrica before retrying")
        return Outcome(False, error=str(exc), retry_after=60.0)
    if response.status_code in (420, 429):
        try:
            wait = float(response.headers.get("Retry-After", "60"))
        except ValueError:
            wait = 60.0
        return Outcome(False, status=response.status_code, retry_after=max(1.0, min(wait, 3600.0)),
                       error=f"HTTP {response.status_code}: Metrica quota exceeded; retrying later")
    if response.status_code == 200:
        try:
            uploading = response.json().get("uploading", {})
        except ValueError:
            uploading = {}
        return Outcome(True, status=200, uploading_id=str(uploading.get("id", "")))
    try:
        message = response.json().get("message") or response.text[:500]
    except ValueError:
        message = response.text[:500]
    if response.status_code >= 500:
        message += " — the outcome is unknown; check the uploadings list in Metrica before retrying"
    return Outcome(False, status=response.status_code, error=f"HTTP {response.status_code}: {message}")


def send(upload_id: uuid.UUID) -> None:
    now = timezone.now()
    if not claim_one(MetricaUpload, upload_id, UploadStatus.QUEUED, status=UploadStatus.SENDING,
                     lease_until=now + LEASE, attempts=F("attempts") + 1):
        return
    upload = MetricaUpload.objects.get(pk=upload_id)
    money = MoneySettings.objects.filter(workspace_id=upload.workspace_id).first()
    started = time.monotonic()
    token = money.metrica_token() if money else ""
    if not money or not money.metrica_counter or not token:
        outcome = Outcome(False, error="No Metrica counter or token in the workspace's money settings.")
    else:
        outcome = upload_file(money.metrica_counter, token, upload.csv_text)
    MetricaAttempt.objects.create(
        upload=upload, number=upload.attempts, started_at=now,
        duration_ms=int((time.monotonic() - started) * 1000), ok=outcome.ok,
        status_code=outcome.status, error=outcome.error,
    )
    mine = MetricaUpload.objects.filter(pk=upload.pk, status=UploadStatus.SENDING)
    if outcome.ok:
        mine.update(status=UploadStatus.DONE, lease_until=None, last_error="",
                    uploading_id=outcome.uploading_id, finished_at=timezone.now())
    elif outcome.retry_after is not None and upload.attempts < MAX_UPLOAD_ATTEMPTS:
        mine.update(status=UploadStatus.PENDING, lease_until=None, last_error=outcome.error,
                    next_attempt_at=timezone.now() + timedelta(seconds=outcome.retry_after))
    else:
        mine.update(status=UploadStatus.FAILED, lease_until=None, last_error=outcome.error)
