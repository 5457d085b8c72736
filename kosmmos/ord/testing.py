"""Builders for ORD tests: the isolation walk's objects of one workspace's organisation."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import Channel
from kosmmos.content.models import Post
from kosmmos.ord.inn import with_control
from kosmmos.ord.models import (
    Contract,
    Creative,
    Invoice,
    Job,
    JobStatus,
    Pad,
    Party,
    Report,
    Statistic,
)


def isolation_objects(workspace: Workspace) -> dict[str, Any]:
    """One set per workspace; asking again returns the same rows."""
    org = workspace.organisation
    seed = str(workspace.pk.int % 10**8 + 10**8)  # 9 digits, one INN per workspace
    party, _ = Party.objects.get_or_create(
        organisation=org, inn=with_control(seed),
        defaults={"name": f"{org.name} Party", "legal_form": "juridical", "roles": ["advertiser"]})
    agency, _ = Party.objects.get_or_create(
        organisation=org, inn=with_control(seed + "1"),
        defaults={"name": f"{org.name} Agency LLC", "legal_form": "ip", "roles": ["agency"],
                  "is_agency": True})
    contract, _ = Contract.objects.get_or_create(
        organisation=org, number=f"ISO-{workspace.pk.hex[:8]}",
        defaults={"client": party, "contractor": agency, "date": date(2026, 1, 1)})
    creative = Creative.objects.filter(workspace=workspace, erid="2VfnxIsolation").first()
    if creative is None:
        post = Post.objects.create(organisation=org, workspace=workspace, text="Isolation ad",
                                   is_ad=True, advertiser=party.name)
        creative = Creative.objects.create(organisation=org, workspace=workspace, post=post,
                                           contract=contract, erid="2VfnxIsolation", stale=False)
    channel, _ = Channel.objects.get_or_create(
        workspace=workspace, network="sandbox", external_id=f"isolation-ord-{workspace.pk.hex}",
        defaults={"organisation": org, "name": "Isolation ORD"})
    pad, _ = Pad.objects.get_or_create(channel=channel, defaults={
        "organisation": org, "owner": party, "name": "Isolation", "url": "https://vk.com/club1"})
    month = timezone.localdate().replace(day=1)
    report, _ = Report.objects.get_or_create(organisation=org, month=month,
                                             defaults={"due_on": month})
    row, _ = Statistic.objects.get_or_create(report=report, creative=creative, pad=pad, defaults={
        "organisation": org, "date_start": month, "date_end": month})
    invoice, _ = Invoice.objects.get_or_create(report=report, contract=contract, defaults={
        "organisation": org, "number": "ISO-1-1", "date": month, "amount": 0})
    job, _ = Job.objects.get_or_create(kind=Job.Kind.CREATIVE, ref=creative.pk, defaults={
        "organisation": org, "status": JobStatus.FAILED, "last_error": "isolation"})
    return {"party": party, "contract": contract, "report": report, "row": row,
            "invoice": invoice, "job": job}
