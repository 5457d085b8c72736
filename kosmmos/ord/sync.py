"""Telling the ORD: one job at a time, each call kept as a ``Call`` row.

A job re-reads its objects, sends what the ORD does not have yet (parties and contracts first: a
creative refers to its contract, a statistics row to its pad), and records the answer. A 5xx, a
timeout or a lost answer leaves the job pending with a backoff: every write is an upsert by our
external id, so sending it again is the reconciliation. A refusal (400/404/409) fails the job
with the ORD's message for a person; a month's report resumes at the rows not yet accepted.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.connectors.base import AuthRevoked, ConnectorError
from kosmmos.connectors.ord import Exchange, OrdClient, Result, ord_client
from kosmmos.connectors.vkord.client import PRODUCTION, SANDBOX
from kosmmos.content.models import Post
from kosmmos.ord import payloads
from kosmmos.ord.models import (
    Account,
    Call,
    Contract,
    Creative,
    ErirStatus,
    Invoice,
    Job,
    JobStatus,
    Link,
    OrdObject,
    Pad,
    Party,
    Report,
    Statistic,
)

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=settings.ORD_JOB_LEASE_S)
BATCH = 100  # statistics rows per request
QUICK_TRIES = 3
QUICK_PAUSE_S = 0.3
MAX_ATTEMPTS = 12


def base_url(account: Account) -> str:
    hosts: dict[str, str] = {Account.Host.VK: PRODUCTION, Account.Host.VK_SANDBOX: SANDBOX}
    return hosts.get(account.host, f"{settings.SANDBOX_URL}/ord")


def client_for(organisation_id: Any) -> OrdClient:
    account = Account.objects.filter(organisation_id=organisation_id).first()
    if account is None or not account.token_encrypted:
        raise ConnectorError(_("Connect the ORD first (ORD → settings): no key is stored."),
                             permanent=True)
    return ord_client(account.ord, base_url=base_url(account), token=account.token)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 2 ** min(attempts, 9)))


class Run:
    """One job's run: the client and the calls it made, recorded as they happen."""

    def __init__(self, job: Job, client: OrdClient) -> None:
        self.job, self.client = job, client

    def call(self, fn: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        """One ORD call, kept; a 5xx, a timeout or a lost answer is tried again at once a few
        times (every call is an upsert by our id or a read, so a repeat is safe) before the job
        waits for its backoff."""
        for attempt in range(QUICK_TRIES):
            try:
                result = fn(*args, **kwargs)
            except ConnectorError as exc:
                exchange = getattr(exc, "exchange", None)
                if exchange is not None:
                    self.keep(exchange)
                if exc.permanent or attempt == QUICK_TRIES - 1:
                    raise
                time.sleep(QUICK_PAUSE_S * 2 ** attempt)
                continue
            self.keep(result.exchange)
            return result
        raise AssertionError("unreachable")  # the loop returns or raises

    def keep(self, exchange: Exchange) -> None:
        Call.objects.create(
            organisation_id=self.job.organisation_id, job=self.job, method=exchange.method,
            path=exchange.path[:300], request=exchange.request, status=exchange.status,
            answer=exchange.answer[:20000], error=exchange.error[:2000],
            duration_ms=exchange.duration_ms)

    def ensure(self, obj: OrdObject, payload: dict[str, Any],
               send: Callable[[str, dict[str, Any]], Result]) -> Result | None:
        """Send ``obj`` unless the ORD already holds exactly this payload."""
        wanted = payloads.digest(payload)
        if obj.sent_hash == wanted:
            return None
        result = self.call(send, obj.external_id, payload)
        type(obj)._default_manager.filter(pk=obj.pk).update(
            sent_hash=wanted, sent_at=timezone.now(), erir_status=ErirStatus.PROCESSING,
            erir_message="")
        obj.sent_hash = wanted
        watch(obj)
        return result

    def party(self, party: Party) -> None:
        self.ensure(party, payloads.person(party), self.client.put_person)

    def contract(self, contract: Contract) -> None:
        if contract.parent is not None:
            self.contract(contract.parent)
        self.party(contract.client)
        self.party(contract.contractor)
        self.ensure(contract, payloads.contract(contract), self.client.put_contract)

    def pad(self, pad: Pad) -> None:
        self.party(pad.owner)
        self.ensure(pad, payloads.pad(pad), self.client.put_pad)


def watch(obj: OrdObject) -> None:
    """Ask the ORD for ``obj``'s status later (one status job per object)."""
    due = timezone.now() + timedelta(seconds=settings.ORD_STATUS_FIRST_CHECK_S)
    job, created = Job.objects.get_or_create(
        kind=Job.Kind.STATUS, ref=obj.pk,
        defaults={"organisation_id": obj.organisation_id, "next_attempt_at": due})
    if not created and job.status in (JobStatus.DONE, JobStatus.FAILED):
        Job.objects.filter(pk=job.pk, status=job.status).update(
            status=JobStatus.PENDING, next_attempt_at=due, attempts=0, last_error="")


# --- the kinds -----------------------------------------------------------------------------------


def send_creative(run: Run) -> None:
    creative = Creative.objects.select_related("post", "contract").get(pk=run.job.ref)
    post = Post.objects.get(pk=creative.post_id)
    if creative.manual or not post.is_ad or post.deleted_at is not None:
        return
    link = Link.objects.select_related("contract").filter(workspace_id=creative.workspace_id).first()
    if link is None:
        raise ConnectorError(_("The client has no contract for the ORD: link one under ORD → "
                               "contracts."), permanent=True)
    wanted = payloads.content_hash(post, link)
    run.contract(link.contract)
    media_ids = []
    for pm in post.post_media.select_related("media").order_by("position"):
        media_id = f"kos-m-{pm.media_id.hex}"
        with pm.media.file.open("rb") as handle:
            content = handle.read()
        run.call(run.client.put_media, media_id, content, pm.media.name, pm.media.mime,
                 pm.media.name or "media")
        media_ids.append(media_id)
    result = run.call(run.client.put_creative, creative.external_id,
                      payloads.creative(creative, post, link, media_ids))
    erid = str(result.body["erid"]).strip()[:100]
    with transaction.atomic():
        current = Post.objects.select_for_update().get(pk=post.pk)
        fresh = payloads.content_hash(current, link) == wanted
        Creative.objects.filter(pk=creative.pk).update(
            erid=erid, contract=link.contract, sent_hash=wanted, sent_at=timezone.now(),
            stale=not fresh, error="", erir_status=ErirStatus.PROCESSING, erir_message="")
        # The erid goes on the post only when the post still says what was registered and no
        # erid was typed by hand meanwhile.
        if fresh and current.is_ad and current.erid in ("", creative.erid):
            Post.objects.filter(pk=post.pk).update(erid=erid)
        watch(creative)
    if not fresh:  # edited while we were sending: send the new content
        raise ConnectorError("the post changed while it was being registered; sending again")


def send_report(run: Run) -> None:
    report = Report.objects.get(pk=run.job.ref)
    rows = list(Statistic.objects.filter(report=report).select_related(
        "creative", "pad", "pad__owner", "pad__channel"))
    missing = [r for r in rows if r.shows is None]
    if missing:
        raise ConnectorError(_("%(count)s placements have no impressions: enter them by hand.")
                             % {"count": len(missing)}, permanent=True)
    for pad in {r.pad_id: r.pad for r in rows}.values():
        run.pad(pad)
    todo = [r for r in rows if r.sent_hash != payloads.digest(payloads.statistic(r))]
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        items = [payloads.statistic(r) for r in batch]
        run.call(run.client.post_statistics, items)
        now = timezone.now()
        for row, item in zip(batch, items, strict=True):
            # VK ORD gives statistics no erir_status of their own: accepted is what we know.
            Statistic.objects.filter(pk=row.pk).update(sent_hash=payloads.digest(item),
                                                       sent_at=now)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.SENT, sent_at=timezone.now())


def send_invoice(run: Run) -> None:
    invoice = Invoice.objects.select_related("report", "contract").get(pk=run.job.ref)
    if invoice.status != Invoice.Status.CONFIRMED:
        return
    run.contract(invoice.contract)
    rows = list(Statistic.objects.filter(report=invoice.report, creative__contract=invoice.contract)
                .select_related("creative", "pad"))
    run.ensure(invoice, payloads.invoice(invoice, rows),
               lambda ext, body: run.client.put_invoice(ext, body, draft=True))
    run.call(run.client.invoice_ready, invoice.external_id)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.SENT)


def check_status(run: Run) -> None:
    """Ask the ORD what ЕРИР made of one object; ask again later while it is processing."""
    models: tuple[type[OrdObject], ...] = (Creative, Party, Pad, Invoice, Contract)
    for model in models:
        obj = model._default_manager.filter(pk=run.job.ref).first()
        if obj is not None:
            break
    else:
        return
    answer = run.call(run.client.erir_status, model.KIND, obj.external_id).body
    status = str(answer.get("erir_status", ""))
    if status not in ErirStatus.values or not status:
        raise ConnectorError(f"unknown erir_status {status!r}", permanent=True)
    message = str(answer.get("message", ""))[:2000]
    with transaction.atomic():
        model._default_manager.filter(pk=obj.pk).update(erir_status=status, erir_message=message,
                                               checked_at=timezone.now())
        if status == ErirStatus.BAD:
            from kosmmos.ord.alerts import rejected

            rejected(obj, message)
    if status == ErirStatus.PROCESSING:
        raise _Later()


class _Later(Exception):
    """Not an error: ask again after the backoff."""


HANDLERS: dict[str, Callable[[Run], None]] = {
    Job.Kind.CREATIVE: send_creative, Job.Kind.REPORT: send_report,
    Job.Kind.INVOICE: send_invoice, Job.Kind.STATUS: check_status}


def run_job(job_id: uuid.UUID | str) -> str:
    """Run one queued job; returns its new status ("" when another run had it)."""
    from kosmmos.ord.dispatch import jobs

    if not jobs.start(job_id, LEASE):
        return ""
    job = Job.objects.get(pk=job_id)
    attempts = job.attempts + 1
    try:
        HANDLERS[job.kind](Run(job, client_for(job.organisation_id)))
    except _Later:
        return _finish(job, JobStatus.PENDING, attempts, "", backoff(attempts))
    except AuthRevoked as exc:
        return _fail(job, attempts, exc.message)
    except ConnectorError as exc:
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            return _fail(job, attempts, exc.message)
        return _finish(job, JobStatus.PENDING, attempts, exc.message, backoff(attempts))
    except Exception as exc:  # a bug or a broken file: kept on the row for support, retried
        log.exception("ORD job %s failed", job.pk)
        return _finish(job, JobStatus.PENDING, attempts, f"{type(exc).__name__}: {exc}",
                       backoff(attempts))
    return _finish(job, JobStatus.DONE, attempts, "", None)


def _finish(job: Job, status: str, attempts: int, error: str, wait: timedelta | None) -> str:
    Job.objects.filter(pk=job.pk, status=JobStatus.SENDING).update(
        status=status, attempts=attempts, last_error=error[:2000], lease_until=None,
        next_attempt_at=timezone.now() + wait if wait is not None else None)
    return status


def _fail(job: Job, attempts: int, error: str) -> str:
    from kosmmos.ord.alerts import job_failed

    with transaction.atomic():
        status = _finish(job, JobStatus.FAILED, attempts, error, None)
        if job.kind == Job.Kind.CREATIVE:
            Creative.objects.filter(pk=job.ref).update(error=error[:2000])
        job_failed(job, error)
    return status
