"""The ORD's writes: verb-named, atomic, jobs kicked after the commit."""

from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kosmmos.accounts.models import Organisation, User, Workspace
from kosmmos.audit.log import record as audit
from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus
from kosmmos.content.targets import LIVE
from kosmmos.ord.models import (
    Contract,
    Creative,
    Invoice,
    Job,
    JobStatus,
    Link,
    Pad,
    Report,
    Statistic,
)
from kosmmos.publishing.models import PostStatsSnapshot


def queue(organisation_id: Any, kind: str, ref: uuid.UUID) -> Job:
    """Due now: a new job, or the existing one reopened (a done job has more to say)."""
    now = timezone.now()
    job, created = Job.objects.get_or_create(
        kind=kind, ref=ref, defaults={"organisation_id": organisation_id, "next_attempt_at": now})
    if not created:
        Job.objects.filter(pk=job.pk, status__in=[JobStatus.DONE, JobStatus.FAILED,
                                                  JobStatus.PENDING]).update(
            status=JobStatus.PENDING, next_attempt_at=now, attempts=0, last_error="")
    transaction.on_commit(lambda: _kick(job.pk))
    return job


def _kick(pk: uuid.UUID) -> None:
    from kosmmos.ord.dispatch import jobs

    jobs.kick(pk)


def retry(job: Job) -> bool:
    from kosmmos.ord.dispatch import jobs

    return jobs.retry_failed(job.pk)


# --- creatives ------------------------------------------------------------------------------------


def register_post(post: Post) -> Creative | None:
    """On approval: an ad post becomes (or updates) its creative; its erid comes back by job.
    An erid the manager typed (another ORD's) is kept and marked, and nothing is registered."""
    if not post.is_ad:
        return None
    creative, _ = Creative.objects.get_or_create(
        post=post, defaults={"organisation_id": post.organisation_id,
                             "workspace_id": post.workspace_id})
    typed = post.erid.strip()
    if typed and typed != creative.erid:
        Creative.objects.filter(pk=creative.pk).update(manual=True, erid=typed, stale=False)
        return creative
    if creative.manual and not typed:
        Creative.objects.filter(pk=creative.pk).update(manual=False, erid="")
    if typed and not creative.stale and not creative.manual:
        return creative  # registered and unchanged
    queue(post.organisation_id, Job.Kind.CREATIVE, creative.pk)
    return creative


def ad_changed(post: Post, erid_before: str) -> None:
    """An ad's content changed. A hand-typed erid stays the manager's; ours is withdrawn until
    the ORD holds the new content, so nothing goes out under the old registration."""
    creative = Creative.objects.filter(post=post).first()
    typed = post.erid.strip()
    if typed and typed != erid_before.strip() and (creative is None or typed != creative.erid):
        if creative is not None:
            Creative.objects.filter(pk=creative.pk).update(manual=True, erid=typed, stale=False)
        return
    if creative is None or creative.manual or not post.is_ad:
        return
    Creative.objects.filter(pk=creative.pk).update(stale=True)
    published = post.targets.filter(status__in=LIVE).exists()
    if published:
        # Already out: the edit goes to the networks with the erid it ran under (VK ORD keeps a
        # creative's erid when it is updated), and the ORD gets the new text.
        queue(post.organisation_id, Job.Kind.CREATIVE, creative.pk)
        return
    Post.objects.filter(pk=post.pk).update(erid="")
    post.erid = ""
    if post.status == PostStatus.SCHEDULED:  # update the creative now, before the post is due
        queue(post.organisation_id, Job.Kind.CREATIVE, creative.pk)


# --- the month ------------------------------------------------------------------------------------


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def due_on(month: date) -> date:
    return month_end(month) + timedelta(days=settings.ORD_REPORT_DAYS)


def pad_for(target: PostTarget, link: Link) -> Pad:
    channel = target.channel
    pad = Pad.objects.filter(channel=channel).first()
    if pad is None:
        pad = Pad.objects.create(organisation_id=channel.organisation_id, channel=channel,
                                 owner=link.contract.client, name=channel.name[:300],
                                 url=public_url(channel.network, channel.external_id,
                                                channel.config))
    return pad


def public_url(network: str, external_id: str, config: dict[str, Any]) -> str:
    """The community's public address, as the ORD wants a platform's ``url``."""
    ident = external_id.lstrip("-")
    if network == "vk":
        return f"https://vk.com/club{ident}"
    if network == "ok":
        return f"https://ok.ru/group/{ident}"
    if network == "telegram":
        username = str(config.get("username", "")).lstrip("@")
        return f"https://t.me/{username}" if username else f"https://t.me/c/{ident.removeprefix('100')}"
    return f"{settings.SANDBOX_URL}/channels/{external_id}"


@transaction.atomic
def close_month(organisation: Organisation, month: date, *, by: User | None = None) -> Report:
    """The month's statistics rows, one per creative and platform, from the post stats Kosmmos
    collected (the latest views within the month); a row without them waits for a person.
    Rerunning refreshes the counts and keeps what a person typed."""
    month = month.replace(day=1)
    end = month_end(month)
    report, _ = Report.objects.get_or_create(organisation=organisation, month=month,
                                             defaults={"due_on": due_on(month)})
    creatives = {c.post_id: c for c in Creative.objects.filter(
        organisation=organisation, manual=False).exclude(erid="")}
    links = {link.workspace_id: link for link in Link.objects.filter(
        organisation=organisation).select_related("contract", "contract__client")}
    targets = (PostTarget.objects.filter(
        organisation=organisation, post_id__in=list(creatives), status=TargetStatus.PUBLISHED,
        published_at__date__gte=month, published_at__date__lte=end)
        .select_related("channel", "post"))
    for target in targets:
        creative = creatives[target.post_id]
        link = links.get(creative.workspace_id)
        if link is None:
            continue
        pad = pad_for(target, link)
        shows = PostStatsSnapshot.objects.filter(
            target=target, taken_at__date__lte=end, views__isnull=False).aggregate(
            m=Max("views"))["m"]
        start = timezone.localtime(target.published_at).date() if target.published_at else month
        row, created = Statistic.objects.get_or_create(
            report=report, creative=creative, pad=pad,
            defaults={"organisation": organisation, "shows": shows, "date_start": start,
                      "date_end": end})
        if not created and not row.manual and shows is not None and row.shows != shows:
            Statistic.objects.filter(pk=row.pk).update(shows=shows)
    draft_invoices(report)
    audit(organisation.pk, "ord.month_closed", target=report, actor=by,
          changes={"month": month.isoformat()})
    return report


def draft_invoices(report: Report) -> None:
    """One act per contract with placements this month, drafted for the manager to confirm."""
    contracts = set(Statistic.objects.filter(report=report).values_list(
        "creative__contract_id", flat=True))
    for contract in Contract.objects.filter(pk__in=[c for c in contracts if c]):
        Invoice.objects.get_or_create(
            report=report, contract=contract,
            defaults={"organisation_id": report.organisation_id,
                      "number": f"{contract.number}-{report.month:%Y%m}"[:100],
                      "date": month_end(report.month),
                      "amount": contract.amount or Decimal("0")})


@transaction.atomic
def enter_shows(row: Statistic, shows: int, *, by: User | None = None) -> None:
    Statistic.objects.filter(pk=row.pk).update(shows=shows, manual=True)
    audit(row.organisation_id, "ord.shows_entered", target=row, actor=by,
          changes={"shows": shows})


@transaction.atomic
def send_report(report: Report, *, by: User | None = None) -> Job:
    Report.objects.filter(pk=report.pk).exclude(status=Report.Status.SENT).update(
        status=Report.Status.SENDING)
    audit(report.organisation_id, "ord.report_sent", target=report, actor=by)
    return queue(report.organisation_id, Job.Kind.REPORT, report.pk)


@transaction.atomic
def confirm_invoice(invoice: Invoice, *, number: str, day: date, amount: Decimal,
                    by: User | None = None) -> Job:
    Invoice.objects.filter(pk=invoice.pk).update(number=number, date=day, amount=amount,
                                                 status=Invoice.Status.CONFIRMED)
    audit(invoice.organisation_id, "ord.invoice_confirmed", target=invoice, actor=by,
          changes={"amount": str(amount)})
    return queue(invoice.organisation_id, Job.Kind.INVOICE, invoice.pk)


def link_workspace(workspace: Workspace, contract: Contract, kktu: str, form: str) -> Link:
    link, _ = Link.objects.update_or_create(
        workspace=workspace, defaults={"organisation_id": workspace.organisation_id,
                                       "contract": contract, "kktu": kktu, "form": form})
    return link
