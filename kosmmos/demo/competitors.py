"""Demo competitors: each demo client follows its own sandbox community and three competitors
with six weeks of history, one of which ran a giveaway two days ago (the key-move alert), and a
brand-mention query whose words spiked in the last hours.

The history is written into the database from the sandbox's own generator, and the same set-up
is given to the sandbox (over its admin API when it runs, else into its state file), so the
collector's next reads continue the same communities.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.competitors import actions
from kosmmos.competitors.collect import announce
from kosmmos.competitors.models import (
    ROUND,
    Community,
    CommunityPost,
    Follow,
    Followers,
    MentionQuery,
)
from kosmmos.competitors.moves import detect
from kosmmos.connectors.sandbox.ext import public_communities as pub

SEED = 1  # the sandbox's default SANDBOX_SEED
RIVALS = ("Конкурент А", "Конкурент Б", "Конкурент В")


def seed_competitors(org: Organisation, workspaces: list[Workspace]) -> None:
    actions.save_keys(org, {"sandbox_key": "demo"})
    created = time.time()
    setup: dict[str, Any] = {"communities": {}, "queries": {}}
    for i, ws in enumerate(workspaces):
        own = f"pub-demo{i}-own"
        setup["communities"][own] = {"name": ws.brand_name, "per_day": 2, "created": created}
        for j, name in enumerate(RIVALS):
            conf: dict[str, Any] = {"name": f"{name} ({ws.brand_name})", "per_day": 1 + j * 2,
                                    "created": created}
            if j == 0:
                conf["spike_day"] = 2
            setup["communities"][f"pub-demo{i}-rival{j}"] = conf
        setup["queries"][ws.brand_name.lower()] = {"per_hour": 0.2, "spike_per_hour": 6,
                                                   "spike_hours_ago": 2}
    state = pub.empty()
    pub.configure(state, setup)
    for i, ws in enumerate(workspaces):
        _history(ws, f"pub-demo{i}-own", state, own=True)
        for j in range(len(RIVALS)):
            _history(ws, f"pub-demo{i}-rival{j}", state)
        MentionQuery.objects.create(workspace=ws, organisation=org,
                                    words=f"{ws.brand_name}\n{ws.brand_name.lower()}",
                                    exclusions="вакансия")
    _tell_sandbox(setup)


def _history(ws: Workspace, handle: str, state: dict[str, Any], *, own: bool = False) -> None:
    c = pub.community(state, SEED, handle)
    start = c["created"] - pub.HISTORY_DAYS * 86400
    community = Community.objects.create(network="sandbox", handle=handle, name=c["name"],
                                         url=f"sandbox:{handle}",
                                         next_attempt_at=timezone.now() + ROUND,
                                         last_read_at=timezone.now(), reads=1)
    Follow.objects.create(organisation=ws.organisation, workspace=ws, community=community,
                          own=own)
    # The history one day at a time, as hourly reads would have found it: the key moves of
    # each day are detected when they were new.
    tz = timezone.get_current_timezone()
    for day in range(pub.HISTORY_DAYS, -1, -1):
        moment = c["created"] - day * 86400
        Followers.objects.update_or_create(
            community=community, day=datetime.fromtimestamp(moment, tz=tz).date(),
            defaults={"followers": pub.followers(c, moment, start)})
        rows = pub.posts(c, SEED, start, moment)
        known = set(CommunityPost.objects.filter(community=community)
                    .values_list("external_id", flat=True))
        new = [CommunityPost(
            community=community, external_id=str(p["id"]),
            published_at=datetime.fromtimestamp(p["date"], tz=UTC), text=p["text"],
            url=f"sandbox:{handle}/{p['id']}", format=p["format"], likes=p["likes"],
            comments=p["comments"], reposts=p["reposts"], views=p["views"], is_ad=p["ad"])
            for p in rows if str(p["id"]) not in known]
        CommunityPost.objects.bulk_create(new)
        at = datetime.fromtimestamp(moment, tz=UTC)
        if day <= 3 and not own:
            for move in detect(community, new, at):
                move.found_at = at
                move.save(update_fields=["found_at"])
                announce(community, move)
    Community.objects.filter(pk=community.pk).update(
        followers=pub.followers(c, c["created"], start))


def _tell_sandbox(setup: dict[str, Any]) -> None:
    """The same set-up on the sandbox: over HTTP when it runs, else into its state file."""
    import httpx

    from kosmmos.connectors.sandbox.ext import base
    from kosmmos.connectors.sandbox.server import Network
    from kosmmos.lib import http

    try:
        answer = http.request("PUT", f"{settings.SANDBOX_URL}/pub/_setup", json=setup,
                              timeout=httpx.Timeout(3.0, connect=0.5))
        if answer.status_code == 200:
            return
    except http.HttpError:
        pass
    net = Network(path=str(settings.VAR_DIR / "sandbox.sqlite3"), public_url=settings.SANDBOX_URL)
    pub.configure(base.state(net, "pub", pub.empty), setup)
    base.touch(net, "pub")
    net.flush()
