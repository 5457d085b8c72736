"""Who sees which reports: the one rule the pages and the API share."""

from __future__ import annotations

from django.db.models import QuerySet

from kosmmos.accounts.models import Membership
from kosmmos.reports.models import Report, ReportStatus


def visible_reports(membership: Membership) -> QuerySet[Report]:
    """All reports of the organisation for agency roles; for a client, the sent reports of
    their own workspaces and nothing else."""
    found = Report.objects.filter(organisation=membership.organisation_id).select_related(
        "workspace", "version", "organisation")
    if membership.is_agency:
        return found
    return found.filter(workspace__in=membership.visible_workspaces(), status=ReportStatus.SENT)
