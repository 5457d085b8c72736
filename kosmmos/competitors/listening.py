"""Brand mentions: each workspace's query is searched on the networks the organisation has keys
for (VK newsfeed.search with the service token, TGStat post search with its token, the sandbox
with its key), and what is found goes into the inbox as mentions (kosmmos/inbox/mentions.py).
Then the spike rule: today's mentions — and today's negative ones — against the workspace's own
previous days, with the inbox's surge rule (``inbox.analytics.is_surge``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from kosmmos.competitors.models import MentionQuery, PublicKeys, Status
from kosmmos.connectors import public
from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.inbox.analytics import SURGE_DAYS, is_surge
from kosmmos.inbox.mentions import ingest_mentions
from kosmmos.inbox.models import Item, Kind
from kosmmos.jobs.queue import RowQueue
from kosmmos.lib.events import emit

log = logging.getLogger(__name__)

POLL_EVERY = timedelta(minutes=30)
FIRST_LOOK = timedelta(days=1)  # a new query looks back a day (VK's own default)
OVERLAP = timedelta(minutes=10)  # polls overlap a little; dedupe keeps each mention once
LEASE = timedelta(minutes=5)
SEARCHERS = {"vk": "vk_service_token", "telegram": "tgstat_token", "sandbox": "sandbox_key"}

searches = RowQueue(model=MentionQuery, task="kosmmos.competitors.tasks:search_mentions",
                    running=Status.RUNNING)


def networks(keys: dict[str, str]) -> list[str]:
    return [n for n, key in SEARCHERS.items() if keys.get(key)]


def excluded(text: str, exclusions: list[str]) -> bool:
    """A post containing any exclusion (case-insensitive) is left out."""
    low = text.lower()
    return any(x in low for x in exclusions)


def search_mentions(pk: Any) -> int:
    """One poll of one query; returns the mentions stored."""
    if not searches.start(pk, LEASE):
        return 0
    query = MentionQuery.objects.select_related("workspace").get(pk=pk)
    now = timezone.now()
    since = (query.searched_until - OVERLAP) if query.searched_until else now - FIRST_LOOK
    keys_row = PublicKeys.objects.filter(organisation_id=query.organisation_id).first()
    keys = keys_row.read() if keys_row else {}
    found: list[public.Found] = []
    try:
        for network in networks(keys):
            for word in query.word_list():
                found += public.search(network, word, keys, since)
    except RateLimited as exc:
        _done(query, error=exc.message, wait=timedelta(seconds=exc.retry_after))
        return 0
    except ConnectorError as exc:
        _done(query, error=exc.message, wait=POLL_EVERY * 2 ** min(query.attempts + 1, 5),
              failed=exc.permanent)
        return 0
    exclusions = query.exclusion_list()
    kept = [f for f in found if not excluded(f.text, exclusions)]
    run = ingest_mentions(query.workspace, kept)
    with transaction.atomic():
        _done(query, until=now)
        check_spike(query.workspace)
    return run.stored


def _done(query: MentionQuery, *, error: str = "", wait: timedelta = POLL_EVERY,
          failed: bool = False, until: datetime | None = None) -> None:
    updates: dict[str, Any] = {
        "status": Status.FAILED if failed else Status.PENDING, "lease_until": None,
        "next_attempt_at": timezone.now() + wait, "last_error": error[:2000],
        "attempts": F("attempts") + 1 if error else 0}
    if until is not None:
        updates["searched_until"] = until
    MentionQuery.objects.filter(pk=query.pk, status=Status.RUNNING).update(**updates)


def check_spike(workspace: Any) -> list[str]:
    """Today's mentions (all, and the negative ones) against the previous SURGE_DAYS days; one
    alert per workspace, day and kind, listing the mentions that caused it."""
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=SURGE_DAYS),
                                                 datetime.min.time()))
    mentions = Item.objects.filter(workspace=workspace, kind=Kind.MENTION, received_at__gte=start)
    raised: list[str] = []
    for label, rows in (("all", mentions), ("negative", mentions.filter(sentiment="negative"))):
        counts = dict(rows.annotate(day=TruncDate("received_at", tzinfo=tz)).values("day")
                      .annotate(n=Count("pk")).values_list("day", "n").order_by())
        history = [counts.get(today - timedelta(days=d), 0) for d in range(1, SURGE_DAYS + 1)]
        surge, mean, _sigma = is_surge(counts.get(today, 0), history)
        if not surge:
            continue
        today_start = timezone.make_aware(datetime.combine(today, datetime.min.time()))
        causes = list(rows.filter(received_at__gte=today_start).order_by("-received_at")[:10])
        title = (_("Spike in negative mentions of %(brand)s: %(n)s today")
                 if label == "negative" else _("Spike in mentions of %(brand)s: %(n)s today")) % {
            "brand": workspace.brand_name, "n": counts.get(today, 0)}
        body = _("A normal day has %(mean).1f.") % {"mean": mean} + "\n" + "\n".join(
            f"• {m.text[:140]} {m.raw.get('url', '')}".strip() for m in causes)
        if emit("mentions.spike", organisation=workspace.organisation_id, workspace=workspace,
                title=title, body=body, url=f"/inbox/?workspace={workspace.pk}&kind=mention",
                dedupe_key=f"mentions.spike:{workspace.pk}:{today}:{label}",
                payload={"count": counts.get(today, 0), "mean": mean, "kind": label,
                         "urls": [m.raw.get("url", "") for m in causes]}):
            raised.append(label)
    return raised
