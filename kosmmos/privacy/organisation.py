"""An organisation's own data, by its owners: export it all, delete it after a grace period.

Deletion is asked for, not done: ``schedule_deletion`` sets a date ``GRACE`` ahead, starts a
final export and emails the owners (the date, where to cancel, where to download); until then an
owner may ``cancel_deletion``. The ticker's ``run_deletions`` (dispatch.py) then deletes the
organisation with everything it owns — its rows, stored files, exports and raw clicks — and the
members who belonged to no other organisation, and keeps one audit row with no organisation.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Membership, Organisation, Role, User, Workspace
from kosmmos.audit.log import record
from kosmmos.lib.mailing import send_email
from kosmmos.links.events import get_store
from kosmmos.privacy.actions import owned_models
from kosmmos.privacy.models import OrganisationDeletion, OrganisationExport
from kosmmos.privacy.queue import exports

log = logging.getLogger(__name__)

GRACE = timedelta(days=14)


def owner_emails(organisation: Organisation) -> list[str]:
    return sorted(Membership.objects.filter(organisation=organisation, role=Role.OWNER,
                                            user__is_active=True)
                  .values_list("user__email", flat=True))


@transaction.atomic
def request_export(organisation: Organisation, *, by: User | None) -> OrganisationExport:
    export = OrganisationExport.objects.create(organisation=organisation, requested_by=by)
    record(organisation, "organisation.export_requested", target=export, actor=by)
    transaction.on_commit(lambda: exports.kick(export.pk))
    return export


@transaction.atomic
def schedule_deletion(organisation: Organisation, *, by: User) -> OrganisationDeletion:
    """Ask for the organisation's deletion in ``GRACE``; asking again changes nothing."""
    row, created = OrganisationDeletion.objects.get_or_create(
        organisation=organisation,
        defaults={"requested_by": by, "delete_after": timezone.now() + GRACE})
    if not created:
        return row
    record(organisation, "organisation.deletion_scheduled", actor=by,
           changes={"delete_after": row.delete_after.isoformat()})
    request_export(organisation, by=by)
    with translation.override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(row.delete_after), "j E Y, H:i")
        url = f"{settings.SITE_URL}/settings/personal-data/"
        send_email(
            organisation_id=organisation.pk, kind="organisation_deletion",
            to=owner_emails(organisation),
            subject=_("%(name)s will be deleted on %(when)s") % {"name": organisation.name,
                                                                   "when": when},
            body=_("%(who)s asked to delete the agency %(name)s in Kosmmos with all its data.\n\n"
                   "It will be deleted for good on %(when)s. Until then you can cancel it, and "
                   "download everything it holds (a final export is being made now): %(url)s\n")
            % {"who": by.email, "name": organisation.name, "when": when, "url": url})
    return row


@transaction.atomic
def cancel_deletion(organisation: Organisation, *, by: User) -> bool:
    """Cancel a scheduled deletion that the ticker has not started; False when there is none."""
    gone, _counts = OrganisationDeletion.objects.filter(
        organisation=organisation, claimed_at__isnull=True).delete()
    if gone:
        record(organisation, "organisation.deletion_cancelled", actor=by)
    return bool(gone)


def _stored_files(organisation: Organisation) -> list[str]:
    names: list[str] = []
    for model, path in owned_models():
        columns = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if columns:
            for values in model._default_manager.filter(**{path: organisation}).values_list(*columns):
                names += [v for v in values if v]
    return names


def delete_organisation(organisation: Organisation) -> dict[str, Any]:
    """Delete the organisation and everything it owns, for good; one audit row stays."""
    deletion = OrganisationDeletion.objects.filter(organisation=organisation).first()
    files = _stored_files(organisation)
    exports = [Path(e.path) for e in OrganisationExport.objects.filter(organisation=organisation)
               if e.path]
    workspaces = list(Workspace.objects.filter(organisation=organisation).values_list("pk", flat=True))
    members = list(Membership.objects.filter(organisation=organisation).values_list("user_id", flat=True))
    summary = {"name": organisation.name, "workspaces": len(workspaces), "files": len(files),
               "requested_by": deletion.requested_by.email if deletion and deletion.requested_by else "",
               "requested_at": deletion.requested_at.isoformat() if deletion else ""}
    with transaction.atomic():
        record(None, "organisation.deleted", target=f"Organisation {organisation.pk}",
               changes=summary, actor=None)
        organisation.delete()
        # Staff accounts that belonged to this organisation only go with it.
        alone = User.objects.filter(pk__in=members, is_superuser=False, memberships__isnull=True)
        summary["users"] = alone.count()
        alone.delete()

        def clean_up() -> None:
            for name in files:
                try:
                    default_storage.delete(name)
                except OSError:
                    log.warning("could not delete %s", name)
            for path in exports:
                path.unlink(missing_ok=True)
            get_store().forget_workspaces(workspaces)

        transaction.on_commit(clean_up)
    return summary
