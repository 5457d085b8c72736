"""The month's ad placements as CSV or XLSX, for an ORD without an API (its cabinet imports a
table) and for the agency's own records. openpyxl is already a pinned dependency (the importer
reads XLSX with it)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Organisation
from kosmmos.content.models import PostTarget, TargetStatus
from kosmmos.ord.actions import month_end, public_url
from kosmmos.ord.models import Creative, Link, Statistic


def header() -> list[str]:
    return [_("Published"), _("Client"), _("Advertiser"), _("Channel"), _("Platform URL"),
            _("Post URL"), "erid", _("erid source"), _("Contract"), _("KKTU"),
            _("Impressions"), _("Impressions source")]


def placements(organisation: Organisation, month: date) -> list[list[Any]]:
    """One line per ad post and channel published in ``month``."""
    month = month.replace(day=1)
    creatives = {c.post_id: c for c in Creative.objects.filter(organisation=organisation)}
    links = {link.workspace_id: link for link in Link.objects.filter(
        organisation=organisation).select_related("contract")}
    shows = {(s.creative_id, s.pad.channel_id): s for s in Statistic.objects.filter(
        organisation=organisation, report__month=month).select_related("pad")}
    lines = []
    targets = (PostTarget.objects.filter(
        organisation=organisation, post__is_ad=True, status=TargetStatus.PUBLISHED,
        published_at__date__gte=month, published_at__date__lte=month_end(month))
        .select_related("post", "post__workspace", "channel").order_by("published_at"))
    for target in targets:
        post, channel = target.post, target.channel
        creative = creatives.get(post.pk)
        link = links.get(post.workspace_id)
        row = shows.get((creative.pk, channel.pk)) if creative else None
        manual = creative is None or creative.manual
        lines.append([
            timezone.localtime(target.published_at).strftime("%Y-%m-%d %H:%M")
            if target.published_at else "",
            post.workspace.name, post.advertiser, channel.name,
            public_url(channel.network, channel.external_id, channel.config), target.url,
            post.erid, _("typed by hand") if manual else _("registered by Kosmmos"),
            str(link.contract) if link else "", link.kktu if link else "",
            "" if row is None or row.shows is None else row.shows,
            "" if row is None else (_("entered by hand") if row.manual else _("post stats")),
        ])
    return lines


def _safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(organisation: Organisation, month: date) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header())
    for line in placements(organisation, month):
        writer.writerow([_safe(v) for v in line])
    return ("\ufeff" + out.getvalue()).encode()  # the BOM: Excel opens it as UTF-8


def as_xlsx(organisation: Organisation, month: date) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(month.strftime("%Y-%m"))
    sheet.append(header())
    for line in placements(organisation, month):
        sheet.append([_safe(v) for v in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
