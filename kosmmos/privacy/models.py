from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kosmmos.accounts.models import Organisation


class Retention(models.Model):
    """How long an organisation keeps leads and inbox items before they are anonymised.

    The ticker's dispatcher (``kosmmos.privacy.dispatch``) claims due rows with a conditional
    update on ``next_run_at``, so two workers never run the same organisation's job at once.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="retention", primary_key=True)
    months = models.PositiveSmallIntegerField(
        _("keep personal data, months"), null=True, blank=True,
        help_text=_("Leads and inbox items older than this are anonymised. Empty: kept."))
    next_run_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("retention")
        indexes = [models.Index(fields=["next_run_at"], name="privacy_retention_due")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.months}"
