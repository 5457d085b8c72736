"""Writes of the money side: links, wrapping post texts, conversions, costs, imports."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.accounts.models import User, Workspace
from kosmmos.lib import untrusted
from kosmmos.links import clickids
from kosmmos.links.models import (
    Campaign,
    Conversion,
    ConversionKind,
    ConversionSource,
    CostCategory,
    CostEntry,
    Medium,
    MoneySettings,
    Network,
    TrackedLink,
)
from kosmmos.links.targets import clean_target

MAX_AMOUNT = Decimal("1000000000")  # one billion roubles per event is a typo, not a sale
CURRENCY = re.compile(r"^[A-Z]{3}$")


def money_settings(workspace: Workspace) -> MoneySettings:
    found, _created = MoneySettings.objects.get_or_create(
        workspace=workspace, defaults={"organisation_id": workspace.organisation_id}
    )
    return found


def campaign_named(workspace: Workspace, name: str) -> Campaign | None:
    name = " ".join(name.split())[:100]
    if not name:
        return None
    found, _created = Campaign.objects.get_or_create(
        workspace=workspace, name=name, defaults={"organisation_id": workspace.organisation_id}
    )
    return found


def create_link(
    workspace: Workspace, *, target_url: str, network: str, medium: str = Medium.SOCIAL,
    campaign: Campaign | str | None = None, post_ref: str = "", title: str = "", tags: str = "",
    user: User | None = None,
) -> TrackedLink:
    """Validate the target once and store the link (raises ValidationError)."""
    target = clean_target(target_url)
    if network not in Network.values:
        raise ValidationError(_("Choose a network."))
    if isinstance(campaign, str):
        campaign = campaign_named(workspace, campaign)
    return TrackedLink.objects.create(
        organisation_id=workspace.organisation_id, workspace=workspace, target_url=target,
        network=network, medium=medium, campaign=campaign, post_ref=post_ref.strip()[:100],
        title=title.strip()[:200], tags=tags.strip()[:200], created_by=user,
    )


# http(s) URLs in running text; trailing punctuation belongs to the sentence, not the URL.
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'«»]+", re.IGNORECASE)
TRAILING = ".,;:!?…)]}"


def _trim(url: str) -> str:
    while url and url[-1] in TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def wrap_links(text: str, *, workspace: Workspace, network: str, post_ref: str,
               campaign: Campaign | str | None = None) -> str:
    """Replace every http(s) URL in a post text with a tracked short link.

    Idempotent per (workspace, target, network, post_ref): wrapping the same text twice reuses
    the links. Short links already in the text and targets that fail validation (private
    addresses, unresolvable hosts) are left as they are. Called by publishing per network variant.
    """
    if isinstance(campaign, str):
        campaign = campaign_named(workspace, campaign)
    base = settings.LINKS_BASE_URL + "/"
    memo: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        raw = match.group(0)
        url = _trim(raw)
        tail = raw[len(url):]
        if url.startswith(base):
            return raw
        if url not in memo:
            memo[url] = _link_for(workspace, url, network, post_ref, campaign)
        return memo[url] + tail

    return URL_IN_TEXT.sub(replace, text)


def _link_for(workspace: Workspace, url: str, network: str, post_ref: str,
              campaign: Campaign | None) -> str:
    try:
        target = clean_target(url)
    except ValidationError:
        return url
    ref = post_ref.strip()[:100] or "post"
    found = TrackedLink.objects.filter(
        workspace=workspace, target_url=target, network=network, post_ref=ref
    ).first()
    if found is None:
        try:
            with transaction.atomic():
                found = TrackedLink.objects.create(
                    organisation_id=workspace.organisation_id, workspace=workspace,
                    target_url=target, network=network, medium=Medium.SOCIAL, post_ref=ref,
                    campaign=campaign, title=target[:200],
                )
        except IntegrityError:  # a concurrent publisher made it first
            found = TrackedLink.objects.get(
                workspace=workspace, target_url=target, network=network, post_ref=ref
            )
    return found.short_url


# --- Conversions --------------------------------------------------------------------------------


class ConversionError(Exception):
    """A rejected event: ``code`` for machines, the message for people; nothing was recorded."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def parse_amount(value: Any) -> Decimal:
    """A non-negative amount with at most two decimals; strings like "1 990,50" are accepted."""
    try:
        return untrusted.amount(value, maximum=MAX_AMOUNT)
    except untrusted.BadInput as exc:
        raise ConversionError(exc.code, exc.message) from exc


def parse_when(value: Any) -> datetime:
    """Unix seconds or ISO 8601 (naive is UTC) within the calendar's years; empty is now."""
    if value in (None, ""):
        return timezone.now()
    try:
        return untrusted.instant(value)
    except untrusted.BadInput as exc:
        raise ConversionError("time_invalid", f"occurred_at: {exc.message}") from exc


@dataclass
class EventData:
    event_id: str
    kind: str
    amount: Decimal
    currency: str
    occurred_at: datetime
    kid: str = ""
    name: str = ""
    ym_client_id: str = ""
    vk_id: str = ""


def _text(value: Any) -> str:
    """A field as clean text: numbers are written out, structures and huge values are refused."""
    if not value:  # as ``value or default`` read it before: 0, False and "" are absent
        return ""
    if isinstance(value, (dict, list)):
        raise ConversionError("payload_invalid", "a field holds a structure where text belongs")
    text = str(value) if not isinstance(value, int) or abs(value) < 10**40 else "?" * 101
    return untrusted.clean_text(text[:1000]).strip()


def parse_event(data: dict[str, Any]) -> EventData:
    """Validate a postback / collect / CSV payload (raises ConversionError)."""
    if not isinstance(data, dict):
        raise ConversionError("payload_invalid", "the body must be a JSON object")
    event_id = _text(data.get("event_id") or data.get("order_id"))
    if not event_id or len(event_id) > 100:
        raise ConversionError("event_id_invalid", "event_id is required (at most 100 characters)")
    kind = (_text(data.get("event")) or ConversionKind.PURCHASE).lower()
    name = ""
    if kind not in ConversionKind.values:
        name, kind = kind[:64], ConversionKind.CUSTOM
    amount = parse_amount(data.get("amount", 0))
    if kind == ConversionKind.PURCHASE and amount <= 0:
        raise ConversionError("amount_missing", "a purchase needs an amount greater than zero")
    currency = (_text(data.get("currency")) or "RUB").upper()
    if not CURRENCY.match(currency):
        raise ConversionError("currency_invalid", "currency must be an ISO 4217 code such as RUB")
    when = parse_when(data.get("occurred_at"))
    if when > timezone.now() + timedelta(minutes=10):
        raise ConversionError("time_invalid", "occurred_at is in the future")
    ym = _text(data.get("ym_client_id"))
    if ym and (not (ym.isascii() and ym.isdigit()) or len(ym) > 40):
        raise ConversionError("ym_client_id_invalid", "ym_client_id must be digits")
    vk_id = _text(data.get("vk_id"))
    if vk_id and (not (vk_id.isascii() and vk_id.isdigit()) or len(vk_id) > 20
                  or int(vk_id) == 0):
        raise ConversionError("vk_id_invalid", "vk_id must be a numeric VK user id")
    return EventData(event_id=event_id, kind=kind, amount=amount, currency=currency,
                     occurred_at=when, kid=_text(data.get("kid"))[:40], name=name,
                     ym_client_id=ym, vk_id=vk_id)


def attribute(workspace: Workspace, kid: str, occurred_at: datetime,
              window: Any) -> tuple[TrackedLink | None, datetime | None]:
    """Last click: the link named by a genuine kid of this workspace, clicked within the window."""
    parsed = clickids.parse(kid)
    if parsed is None:
        return None, None
    if not (parsed.clicked_at - timedelta(minutes=5) <= occurred_at
            <= parsed.clicked_at + window):
        return None, parsed.clicked_at
    link = TrackedLink.objects.filter(workspace=workspace, code=parsed.code).first()
    return link, parsed.clicked_at


def record_conversion(workspace: Workspace, event: EventData, *, source: str,
                      money: MoneySettings | None = None) -> Conversion:
    """Store one conversion with its attribution; a repeated event id is a ConversionError."""
    money = money or money_settings(workspace)
    link, clicked_at = attribute(workspace, event.kid, event.occurred_at, money.window)
    try:
        with transaction.atomic():
            return Conversion.objects.create(
                organisation_id=workspace.organisation_id, workspace=workspace,
                event_id=event.event_id, kind=event.kind, name=event.name, amount=event.amount,
                currency=event.currency, occurred_at=event.occurred_at, source=source,
                click_id=event.kid, link=link, clicked_at=clicked_at if link else None,
                ym_client_id=event.ym_client_id, vk_id=event.vk_id,
            )
    except IntegrityError as exc:
        raise ConversionError("duplicate_event", "this event_id was recorded already", 409) from exc


# --- Imports ------------------------------------------------------------------------------------

MAX_IMPORT_ROWS = 50_000


@dataclass
class ImportReport:
    accepted: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + len(self.rejected)


def _rows(content: bytes) -> csv.DictReader[str]:
    text = content.decode("utf-8-sig", errors="replace")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return csv.DictReader(io.StringIO(text), delimiter=delimiter)


def import_orders(workspace: Workspace, content: bytes) -> ImportReport:
    """Orders CSV: ``order_id,date,amount[,currency][,kid][,event][,ym_client_id][,vk_id]``.

    Each row is accepted or rejected on its own; the report says which rows and why.
    """
    report = ImportReport()
    money = money_settings(workspace)
    for number, row in enumerate(_rows(content), start=2):
        if report.total >= MAX_IMPORT_ROWS:
            report.rejected.append((number, _("too many rows; split the file")))
            break
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        payload = {
            "event_id": row.get("order_id") or row.get("event_id"), "amount": row.get("amount"),
            "currency": row.get("currency") or "RUB", "kid": row.get("kid"),
            "event": row.get("event") or "purchase", "occurred_at": row.get("date"),
            "ym_client_id": row.get("ym_client_id"), "vk_id": row.get("vk_id"),
        }
        try:
            record_conversion(workspace, parse_event(payload), source=ConversionSource.CSV, money=money)
        except ConversionError as exc:
            report.rejected.append((number, exc.message))
            continue
        report.accepted += 1
    return report


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_cost(workspace: Workspace, *, month: date, category: str, amount: Decimal,
             network: str = "", note: str = "", user: User | None = None) -> CostEntry:
    return CostEntry.objects.create(
        organisation_id=workspace.organisation_id, workspace=workspace, month=first_of_month(month),
        category=category, network=network, amount=amount, note=note[:200], created_by=user,
    )


def import_costs(workspace: Workspace, content: bytes, user: User | None = None) -> ImportReport:
    """Costs CSV: ``month (YYYY-MM),category,amount[,network][,note]``."""
    report = ImportReport()
    for number, row in enumerate(_rows(content), start=2):
        if report.total >= MAX_IMPORT_ROWS:
            report.rejected.append((number, _("too many rows; split the file")))
            break
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            month = datetime.strptime(row.get("month", "")[:7], "%Y-%m").date()
        except ValueError:
            report.rejected.append((number, _("month must look like 2025-03")))
            continue
        category = row.get("category", "").lower()
        if category not in CostCategory.values:
            report.rejected.append((number, _("unknown category %(value)s") % {"value": category}))
            continue
        network = row.get("network", "").lower()
        if network and network not in Network.values:
            report.rejected.append((number, _("unknown network %(value)s") % {"value": network}))
            continue
        try:
            amount = parse_amount(row.get("amount"))
        except ConversionError as exc:
            report.rejected.append((number, exc.message))
            continue
        add_cost(workspace, month=month, category=category, amount=amount, network=network,
                 note=row.get("note", ""), user=user)
        report.accepted += 1
    return report
