"""The privacy jobs the ticker (kosmmos/jobs/ticker.py) runs: retention once a day per
organisation, organisation exports (a row queue) and organisation deletions once their grace
period is over."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from kosmmos.accounts.models import Organisation
from kosmmos.privacy.actions import apply_retention
from kosmmos.privacy.models import OrganisationDeletion, Retention
from kosmmos.privacy.queue import exports

log = logging.getLogger(__name__)

EVERY = timedelta(days=1)
# A batch left more old rows: come back soon rather than tomorrow.
SOON = timedelta(minutes=1)


def run_retention(limit: int = 20) -> int:
    """Claim due organisations one by one (a conditional update: one ticker wins) and anonymise
    what is older than their retention. Returns how many organisations were handled."""
    now = timezone.now()
    done = 0
    due = Retention.objects.filter(months__isnull=False, next_run_at__lte=now)
    for row in due.order_by("next_run_at")[:limit]:
        claimed = Retention.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
            next_run_at=now + EVERY)
        if not claimed:
            continue
        try:
            result = apply_retention(row.organisation, row.months or 0)
        except Exception:
            log.exception("retention failed for %s; it runs again tomorrow", row.pk)
            continue
        more = result["leads"] >= 500 or result["inbox_items"] >= 500
        Retention.objects.filter(pk=row.pk).update(
            last_run_at=now, last_result=result, **({"next_run_at": now + SOON} if more else {}))
        done += 1
    return done

dispatch_exports = exports.dispatch_due
sweep_exports = exports.sweep_stuck


def run_deletions(limit: int = 5) -> int:
    """Delete the organisations whose grace period is over. A conditional update claims each
    row (one ticker wins); a deletion that fails is handed back for the next tick."""
    from kosmmos.privacy.organisation import delete_organisation

    now = timezone.now()
    done = 0
    due = OrganisationDeletion.objects.filter(delete_after__lte=now, claimed_at__isnull=True)
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        if not OrganisationDeletion.objects.filter(pk=pk, claimed_at__isnull=True).update(
                claimed_at=now):
            continue
        try:
            delete_organisation(Organisation.objects.get(pk=pk))
        except Exception:
            log.exception("deleting organisation %s failed; tried again next tick", pk)
            OrganisationDeletion.objects.filter(pk=pk).update(claimed_at=None)
            continue
        done += 1
    return done
