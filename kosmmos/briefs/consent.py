"""Versioned consent texts: which wording (and policy address) a person agreed to on the form.

Reading never writes (the form's GET shows ``latest``); a submitted brief pins a version with
``agreed``, which makes Kosmmos's default wording version 1 on an agency's first brief, and a new
version when the agency's policy address changed since the last one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Organisation, User
from kosmmos.audit.log import record
from kosmmos.briefs.models import ConsentText

TEXT_MAX = 5000


def default_text() -> str:
    """Kosmmos's wording, as stored: in the agency's language (the form translates it)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("I agree to the processing of my personal data (Federal Law 152-FZ).")


def parse_version(value: object) -> int | None:
    """The version a form sent back in its hidden field: a bad value is no error (the person
    cannot correct a hidden field), only unknown — the current version is recorded then."""
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**31 else None


def latest(organisation: Organisation) -> ConsentText | None:
    return ConsentText.objects.filter(organisation=organisation).first()


def _add(organisation: Organisation, text: str, *, default: bool = False,
         by: User | None = None) -> ConsentText:
    """The next version; two writers racing for a number: the loser takes the next one."""
    for _attempt in range(3):
        top = ConsentText.objects.filter(organisation=organisation).aggregate(
            v=Max("version"))["v"] or 0
        try:
            with transaction.atomic():
                return ConsentText.objects.create(
                    organisation=organisation, version=top + 1, text=text, default=default,
                    policy_url=organisation.policy_url, created_by=by)
        except IntegrityError:
            continue
    raise RuntimeError("could not number a consent text version")


def agreed(organisation: Organisation, version: int | None) -> ConsentText:
    """The version a submitted brief was agreed under: the one the form showed (``version``,
    when it is this agency's), else the current one."""
    if version:
        shown = ConsentText.objects.filter(organisation=organisation, version=version).first()
        if shown is not None:
            return shown
    current = latest(organisation)
    if current is None:
        return _add(organisation, default_text(), default=True)
    if current.policy_url != organisation.policy_url:
        return _add(organisation, current.text, default=current.default)
    return current


@transaction.atomic
def save_text(organisation: Organisation, text: str, *, by: User) -> ConsentText | None:
    """The agency's own wording as a new version; None when it is the current text already."""
    text = text.strip()[:TEXT_MAX]
    current = latest(organisation)
    if current is not None and current.text == text and current.policy_url == organisation.policy_url:
        return None
    new = _add(organisation, text, by=by)
    record(organisation, "privacy.consent_text_changed", actor=by,
           changes={"version": [current.version if current else None, new.version]})
    return new
