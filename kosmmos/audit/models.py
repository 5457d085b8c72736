from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Every action recorded. Codes are stable (exports keep them); labels are for people.
ACTION_LABELS = {
    "auth.signed_in": _("Signed in"),
    "auth.sign_in_failed": _("Failed sign-in"),
    "auth.signed_out": _("Signed out"),
    "organisation.created": _("Agency created"),
    "organisation.settings_changed": _("Settings changed"),
    "organisation.brief_address_rotated": _("Brief form address changed"),
    "invitation.sent": _("Invitation sent"),
    "invitation.accepted": _("Invitation accepted"),
    "invitation.revoked": _("Invitation revoked"),
    "member.role_changed": _("Role changed"),
    "member.removed": _("Member removed"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "channel.connected": _("Channel connected"),
    "channel.updated": _("Channel reconnected"),
    "channel.removed": _("Channel removed"),
    "post.approved": _("Post approved"),
    "post.rejected": _("Changes requested"),
    "post.deleted": _("Post deleted"),
    "media.deleted": _("File deleted"),
    "lead.status_changed": _("Lead status changed"),
    "proposal.sent": _("Proposal sent"),
    "inbox.reply_sent": _("Reply sent"),
    "audit.exported": _("Audit log exported"),
    "privacy.searched": _("Personal data searched"),
    "privacy.exported": _("Personal data exported"),
    "privacy.anonymised": _("Personal data anonymised"),
    "privacy.retention": _("Old personal data anonymised"),
    "backup.made": _("Backup made"),
    "backup.failed": _("Backup failed"),
    "privacy.consent_text_changed": _("Consent text changed"),
    "organisation.export_requested": _("Agency data export requested"),
    "organisation.exported": _("Agency data downloaded"),
    "organisation.deletion_scheduled": _("Agency deletion scheduled"),
    "organisation.deletion_cancelled": _("Agency deletion cancelled"),
    "organisation.deleted": _("Agency deleted"),
}


class AppendOnly(Exception):
    """The audit log is never edited or pruned row by row."""


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit events are never changed")

    def delete(self) -> NoReturn:
        raise AppendOnly("audit events are never deleted")


class Event(models.Model):
    """One thing a person (or Kosmmos on their behalf) did in an organisation.

    Foreign keys are by name only (this package sits below accounts). ``actor_email`` keeps who it
    was after the account is gone; ``changes`` holds before/after values, never secrets.
    Only the organisation's deletion removes its events (with everything else it owns).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                     related_name="audit_events", null=True, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    actor_email = models.CharField(_("who"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64)
    target = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("what changed"), default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]
        indexes = [models.Index(fields=["organisation", "-at"], name="audit_org_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("audit events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit events are never deleted")

    def changes_display(self) -> list[tuple[str, str]]:
        """``changes`` for people: a ``[old, new]`` pair shown as "old → new"."""
        shown = []
        for key, value in self.changes.items():
            if isinstance(value, list) and len(value) == 2:
                value = f"{value[0] if value[0] not in (None, '') else '—'} → {value[1]}"
            shown.append((key, str(value)))
        return shown

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))
