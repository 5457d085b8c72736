"""What proposals do when another app announces something (connected in ``ProposalsConfig.ready``).

Light on purpose: every Django process runs ``ready``, and most (the redirect flusher, the
workers' ticker) never draft a proposal, so the planner and the PDF stack load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kosmmos.briefs.models import Lead


def draft_for_new_brief(sender: object, *, lead: Lead, **kwargs: object) -> None:
    """``briefs.signals.brief_received``: the lead gets its first draft as a job."""
    from kosmmos.proposals.actions import request_draft

    request_draft(lead)
