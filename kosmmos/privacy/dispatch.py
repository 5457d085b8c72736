"""The retention job, run by the ticker (kosmmos/jobs/ticker.py): once a day per organisation."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from kosmmos.privacy.actions import apply_retention
from kosmmos.privacy.models import Retention

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
