"""Audience exports: a segment uploaded as VK Ads remarketing lists, refreshed, deletable.

An ``AudienceExport`` row is a job (jobs/queue.py): pending → queued → running → done / failed,
or, when a deletion was asked for, → deleted. An upload is cut into CSV files within VK's 20 MB
limit (client.segment_files), one list each, named after the export and part: the list ids are
stored as each is created, so a run that died part-way goes on from the next file, and a file
whose upload outcome is unknown is looked up by its name before it is sent again (never two
lists for one file). Each call is the cabinet's ``Attempt`` row (its ``ref`` names the export);
failures keep a retry button.

Refresh: when an export has been done ``refresh_days``, the ticker makes its successor (same
cabinet and segment, ``replaces`` it); once the successor is in the cabinet, the old lists are
deleted.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kosmmos.accounts.models import User
from kosmmos.ads.cabinets import call
from kosmmos.ads.models import Cabinet
from kosmmos.audiences import segments
from kosmmos.audiences.models import AudienceExport, ExportStatus
from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.connectors.vkads.client import VkAdsClient, segment_files
from kosmmos.jobs.claims import claim_one
from kosmmos.jobs.queue import RowQueue

LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 6

queue = RowQueue(
    model=AudienceExport, task="kosmmos.audiences.tasks:run_export", running=ExportStatus.RUNNING,
    batch=20, dead_worker_error="The worker stopped during the export; it goes on from the "
    "last list stored (a list in doubt is looked up by name first).",
)
dispatch_due = queue.dispatch_due
sweep_stuck = queue.sweep_stuck


def create_export(cabinet: Cabinet, kind: str, *, refresh_days: int = 7,
                  user: User | None = None, replaces: AudienceExport | None = None
                  ) -> AudienceExport:
    export = AudienceExport.objects.create(
        organisation_id=cabinet.organisation_id, workspace_id=cabinet.workspace_id,
        cabinet=cabinet, kind=kind, refresh_days=refresh_days, created_by=user,
        replaces=replaces)
    transaction.on_commit(lambda: queue.kick(export.pk))
    return export


def request_delete(export: AudienceExport) -> bool:
    """Delete the export's lists from the cabinet (a job); False when it is busy or gone."""
    won = claim_one(AudienceExport, export.pk, [ExportStatus.DONE, ExportStatus.FAILED],
                    status=ExportStatus.PENDING, delete_requested=True, attempts=0,
                    last_error="", next_attempt_at=timezone.now())
    if won:
        transaction.on_commit(lambda: queue.kick(export.pk))
    return won


def retry(export: AudienceExport) -> bool:
    return queue.retry_failed(export.pk, ExportStatus.FAILED)


def refresh_due() -> int:
    """Successors for exports whose refresh is due (the ticker)."""
    now = timezone.now()
    made = 0
    due = AudienceExport.objects.filter(status=ExportStatus.DONE, refreshed=False,
                                        delete_requested=False, refresh_days__gt=0)
    for export in due.select_related("cabinet")[:50]:
        if export.finished_at is None or export.finished_at + timedelta(
                days=export.refresh_days) > now:
            continue
        with transaction.atomic():
            if AudienceExport.objects.filter(pk=export.pk, refreshed=False).update(refreshed=True):
                create_export(export.cabinet, export.kind, refresh_days=export.refresh_days,
                              replaces=export)
                made += 1
    return made


def run(export_id: uuid.UUID | str) -> None:
    if not queue.start(export_id, LEASE, attempts=F("attempts") + 1):
        return
    export = AudienceExport.objects.select_related("cabinet", "cabinet__workspace").get(
        pk=export_id)
    mine = AudienceExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING)
    try:
        if export.delete_requested:
            _delete(export)
            mine.update(status=ExportStatus.DELETED, lease_until=None, last_error="",
                        list_ids=[], finished_at=timezone.now())
            return
        _upload(export)
    except ConnectorError as exc:
        if not exc.permanent and export.attempts < MAX_ATTEMPTS:
            wait = exc.retry_after if isinstance(exc, RateLimited) else 30 * 2 ** export.attempts
            mine.update(status=ExportStatus.PENDING, lease_until=None,
                        last_error=exc.message[:2000],
                        next_attempt_at=timezone.now() + timedelta(seconds=wait))
        else:
            mine.update(status=ExportStatus.FAILED, lease_until=None,
                        last_error=exc.message[:2000])
        return
    if export.replaces_id:
        old = AudienceExport.objects.filter(pk=export.replaces_id).first()
        if old is not None:
            request_delete(old)


def _delete(export: AudienceExport) -> None:
    remaining = list(export.list_ids)
    for list_id in list(remaining):

        def drop(client: VkAdsClient, list_id: object = list_id) -> None:
            client.delete_list(str(list_id))

        call(export.cabinet, "delete", drop, ref=export.ref, detail=f"list {list_id}")
        remaining.remove(list_id)
        AudienceExport.objects.filter(pk=export.pk).update(list_ids=remaining)


def _upload(export: AudienceExport) -> None:
    workspace = export.cabinet.workspace
    ids = list(segments.vk_ids(workspace, export.kind))
    files = list(segment_files(ids))
    stored = [str(i) for i in export.list_ids]
    for number, content in enumerate(files, start=1):
        if number <= len(stored):
            continue  # made by an earlier run of this export
        name = export.list_name(number, len(files))

        def send(client: VkAdsClient, name: str = name, content: bytes = content) -> str:
            if export.attempts > 1:  # an earlier try may have created it: look before sending
                found = client.find_list(name)
                if found:
                    return found
            return client.create_list(name, content)

        lines = content.count(b"\n") - 1
        list_id = call(export.cabinet, "upload", send, ref=export.ref,
                       detail=f"{name}: {lines} ids, {len(content)} bytes")
        stored.append(list_id)
        AudienceExport.objects.filter(pk=export.pk).update(list_ids=stored)
    AudienceExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, lease_until=None, last_error="", size=len(ids),
        bytes=sum(len(f) for f in files), finished_at=timezone.now())
