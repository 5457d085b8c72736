"""Requests about one person's data (152-FZ): find it, export it, anonymise it.

A person is looked up by one identifier — an email, a phone, a VK id or a Telegram id — across
the organisation's leads (their briefs and history), inbox items, conversions and the emails sent.
Anonymising replaces their names, contacts and network ids in those rows (texts are blanked
unless the agency keeps them), gives the raw clicks behind their conversions in the click event
store new random ids, then sweeps every text column of every table the organisation
owns for any identifier still left (a phone typed in a comment, an address in an email body), so
none of them can be found anywhere afterwards. The request and its outcome go to the audit log
with the identifier masked.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.audit.log import record
from kosmmos.briefs.models import Brief, Lead, LeadEvent
from kosmmos.inbox.models import Item, Note, Reply
from kosmmos.links.events import get_store
from kosmmos.links.models import Conversion
from kosmmos.mail.models import Attachment, Delivery
from kosmmos.proposals.models import ProposalVersion

KINDS = ("email", "phone", "vk", "telegram")
REMOVED = "[удалено]"
# Shorter strings are too likely to occur in unrelated text to be swept organisation-wide.
SWEEP_MIN = 4


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def mask(value: str) -> str:
    """What the audit log keeps of an identifier: enough to tell requests apart, not to find one."""
    return value[:2] + "***" + value[-2:] if len(value) > 6 else "***"


@dataclass
class Person:
    kind: str
    value: str
    briefs: list[Brief] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    conversions: list[Conversion] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.briefs or self.items or self.conversions or self.deliveries)

    def counts(self) -> dict[str, int]:
        return {"leads": len(self.briefs), "inbox_items": len(self.items),
                "conversions": len(self.conversions), "emails": len(self.deliveries)}

    def identifiers(self) -> set[str]:
        """Every string that identifies the person, as stored (phones in each stored form)."""
        found = {self.value} if self.kind in KINDS else set()
        for brief in self.briefs:
            found |= {brief.email, brief.phone, brief.messenger_handle, brief.contact_name,
                      brief.company}
        for item in self.items:
            found |= {item.author_ref, item.author_name, item.chat_ref}
        return {s.strip() for s in found if s and s.strip()}


def find_person(organisation: Organisation, kind: str, value: str) -> Person:
    value = value.strip()
    if kind not in KINDS or not value:
        raise ValueError(f"unknown identifier kind {kind!r} or empty value")
    person = Person(kind, value)
    briefs = Brief.objects.filter(organisation=organisation)
    items = Item.objects.filter(organisation=organisation)
    if kind == "email":
        person.briefs = list(briefs.filter(email__iexact=value))
        person.items = list(items.filter(text__icontains=value))
    elif kind == "phone":
        wanted = digits(value)[-10:]
        if len(wanted) < 7:
            raise ValueError("a phone needs at least 7 digits")
        person.briefs = [b for b in briefs.exclude(phone="") if digits(b.phone).endswith(wanted)]
        stored = {b.phone for b in person.briefs} | {value}
        person.items = list(items.filter(_any("text__icontains", stored)))
    else:
        handle = value.lstrip("@")
        person.briefs = list(briefs.filter(messenger=kind).filter(
            Q(messenger_handle__iexact=handle) | Q(messenger_handle__iexact=f"@{handle}")))
        ids = items.filter(network=kind).filter(
            Q(author_ref=handle) | Q(chat_ref=handle) | Q(external_id__startswith=f"{handle}:"))
        person.items = list(ids)
    # The brief names the person's other identifiers: their messages count too.
    linked = Q(pk__in=[])
    for brief in person.briefs:
        handle = brief.messenger_handle.lstrip("@")
        if brief.messenger in {"vk", "telegram"} and handle:
            linked |= Q(network=brief.messenger, author_ref=handle)
        if brief.phone:
            linked |= Q(text__icontains=brief.phone)
    seen = {i.pk for i in person.items}
    person.items += [i for i in items.filter(linked) if i.pk not in seen]
    emails = {b.email for b in person.briefs} | ({value} if kind == "email" else set())
    person.deliveries = list(Delivery.objects.filter(organisation_id=organisation.pk).filter(
        _any("to__icontains", emails) | _any("body__icontains", emails))) if emails else []
    refs = {value} | {i.author_ref for i in person.items if i.author_ref}
    person.conversions = list(Conversion.objects.filter(organisation=organisation).filter(
        _any("event_id", refs) | _any("click_id", refs) | _any("ym_client_id", refs)))
    return person


def _any(lookup: str, values: Iterable[str]) -> Q:
    query = Q(pk__in=[])
    for value in values:
        if value:
            query |= Q(**{lookup: value})
    return query


def search(organisation: Organisation, kind: str, value: str) -> Person:
    """``find_person`` for a person's request, written to the audit log."""
    person = find_person(organisation, kind, value)
    record(organisation, "privacy.searched", changes={"kind": kind, "value": mask(value),
                                                      **person.counts()})
    return person


# --- Export ----------------------------------------------------------------------------------


def _row(obj: models.Model, skip: Iterable[str] = ()) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
            if f.attname not in skip and not isinstance(f, models.BinaryField)}


def export_person(person: Person, organisation: Organisation) -> str:
    """Everything held about the person, as JSON text (the answer to their request)."""
    leads = Lead.objects.filter(brief__in=person.briefs)
    data = {
        "identifier": {"kind": person.kind, "value": person.value},
        "exported_at": timezone.now(),
        "briefs": [_row(b) for b in person.briefs],
        "leads": [{**_row(lead), "history": [_row(e) for e in lead.events.all()]}
                  for lead in leads],
        "inbox_items": [{**_row(i), "replies": [_row(r) for r in Reply.objects.filter(item=i)]}
                        for i in person.items],
        "conversions": [_row(c) for c in person.conversions],
        "emails": [_row(d, skip=("html_body",)) for d in person.deliveries],
    }
    record(organisation, "privacy.exported", changes={"kind": person.kind,
                                                      "value": mask(person.value),
                                                      **person.counts()})
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)


# --- Anonymise -------------------------------------------------------------------------------


def _token(value: str) -> str:
    return hashlib.sha256(f"kosmmos-anon:{value}".encode()).hexdigest()[:10]


@transaction.atomic
def anonymise(person: Person, organisation: Organisation, *, keep_texts: bool = False,
              reason: str = "privacy.anonymised") -> dict[str, int]:
    """Replace the person's names, contacts and ids; blank their texts unless ``keep_texts``.
    Returns how many rows changed, by kind."""
    identifiers = person.identifiers()
    anon = _token("|".join(sorted(identifiers)))
    for brief in person.briefs:
        brief.contact_name, brief.company, brief.phone = REMOVED, "", ""
        brief.email = f"anon-{anon}@anonymised.invalid"
        brief.website, brief.messenger_handle, brief.ip, brief.user_agent = "", "", None, ""
        if not keep_texts:
            brief.kpis = ""
        brief.save(update_fields=["contact_name", "company", "phone", "email", "website",
                                  "messenger_handle", "ip", "user_agent", "kpis"])
    leads = Lead.objects.filter(brief__in=person.briefs)
    leads.update(title=f"{REMOVED} {anon}")
    if not keep_texts:
        LeadEvent.objects.filter(lead__in=leads).exclude(text="").update(text=REMOVED)
    ProposalVersion.objects.filter(proposal__lead__in=leads).update(pdf=None)
    for item in person.items:
        item.author_ref, item.author_name, item.chat_ref = f"anon-{anon}", REMOVED, ""
        item.external_id = f"anon-{item.pk.hex}"
        item.raw = {}
        if not keep_texts:
            item.text = REMOVED
        item.save(update_fields=["author_ref", "author_name", "chat_ref", "external_id", "raw",
                                 "text"])
    if not keep_texts:
        Reply.objects.filter(item__in=person.items).update(text=REMOVED)
        Note.objects.filter(item__in=person.items).update(text=REMOVED)
    clicks = forget_clicks(organisation, {c.click_id for c in person.conversions} | (
        {person.value} if person.kind in KINDS else set()))
    for conversion in person.conversions:
        conversion.event_id = f"anon-{conversion.pk.hex}"
        conversion.click_id, conversion.ym_client_id = "", ""
        conversion.save(update_fields=["event_id", "click_id", "ym_client_id"])
    Attachment.objects.filter(delivery__in=person.deliveries).delete()
    swept = sweep(organisation, identifiers)
    counts = {**person.counts(), "clicks": clicks, "swept": swept}
    record(organisation, reason, changes={"kind": person.kind, "value": mask(person.value),
                                          "keep_texts": keep_texts, **counts})
    return counts


def forget_clicks(organisation: Organisation, click_ids: set[str]) -> int:
    """The raw clicks behind the person's conversions, in the click event store (apart from the
    app database, so ``sweep`` never sees it), anonymised in the organisation's workspaces."""
    workspaces = list(Workspace.objects.filter(organisation=organisation)
                      .values_list("pk", flat=True))
    return get_store().forget_clicks(workspaces, click_ids)


def owned_models() -> list[tuple[type[models.Model], str]]:
    """Each model the organisation owns, with its path to the organisation (the audit log is
    left alone: it never holds a data subject's identifiers, and is never edited)."""

    def owned(model: type[models.Model]) -> bool:
        return any(f.name == "organisation" and f.is_relation for f in model._meta.fields)

    found: list[tuple[type[models.Model], str]] = []
    for model in apps.get_models():
        if model._meta.app_label in {"audit", "auth", "contenttypes", "sessions"}:
            continue
        if model is Organisation:
            continue
        if owned(model):
            found.append((model, "organisation"))
            continue
        for f in model._meta.fields:
            related = f.related_model
            if f.many_to_one and isinstance(related, type) and owned(related):
                found.append((model, f"{f.name}__organisation"))
                break
    return found


def sweep(organisation: Organisation, identifiers: Iterable[str]) -> int:
    """Replace every remaining occurrence of the identifiers in the organisation's text and JSON
    columns. Returns the number of rows changed."""
    needles = sorted({i for i in identifiers if len(i) >= SWEEP_MIN}, key=len, reverse=True)
    if not needles:
        return 0
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    changed = 0
    for model, path in owned_models():
        columns = [f for f in model._meta.concrete_fields
                   if isinstance(f, models.CharField | models.TextField | models.JSONField)
                   and not f.choices and not f.primary_key]
        for column in columns:
            query = _any(f"{column.name}__icontains", needles)
            rows = model._default_manager.filter(**{path: organisation}).filter(query)
            for obj in rows:
                value = getattr(obj, column.attname)
                if isinstance(column, models.JSONField):
                    new = _scrub_json(value, pattern)
                else:
                    new = pattern.sub(REMOVED, value)[:column.max_length or None]
                if new != value:
                    model._default_manager.filter(pk=obj.pk).update(**{column.attname: new})
                    changed += 1
    return changed


def _scrub_json(value: Any, pattern: re.Pattern[str]) -> Any:
    """The identifiers replaced in every key, string and number (a network id is often a number)."""
    if isinstance(value, dict):
        return {pattern.sub(REMOVED, str(k)): _scrub_json(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v, pattern) for v in value]
    if isinstance(value, str):
        return pattern.sub(REMOVED, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
        return pattern.sub(REMOVED, text) if pattern.search(text) else value
    return value


# --- Retention -------------------------------------------------------------------------------


def apply_retention(organisation: Organisation, months: int, *, now: Any = None,
                    batch: int = 500) -> dict[str, int]:
    """Anonymise (texts blanked) up to ``batch`` leads and inbox items older than ``months``;
    the job runs again until nothing old is left."""
    cutoff = (now or timezone.now()) - timedelta(days=30 * months)
    old = Person("retention", "", briefs=list(
        Brief.objects.filter(organisation=organisation, submitted_at__lt=cutoff)
        .exclude(email__endswith="@anonymised.invalid")[:batch]), items=list(
        Item.objects.filter(organisation=organisation, received_at__lt=cutoff)
        .exclude(author_ref__startswith="anon-")[:batch]))
    if not old.briefs and not old.items:
        return {"leads": 0, "inbox_items": 0}
    anonymise(old, organisation, reason="privacy.retention")
    return {"leads": len(old.briefs), "inbox_items": len(old.items)}
