"""The API: competitors with their stats, key moves, mentions; agency roles only."""

from __future__ import annotations

from typing import Any

import pytest

from kosmmos.api.tests.conftest import api_as
from kosmmos.competitors.models import KeyMove, MoveKind
from kosmmos.competitors.tests.test_views import _community
from kosmmos.inbox.models import Item, Kind

pytestmark = pytest.mark.django_db


def test_it_lists_competitors_with_their_stats_and_moves(world: Any) -> None:
    ws = world.alpha.client_workspace
    follow = _community(world, "pub-rival")
    post = follow.community.posts.order_by("-likes").first()
    KeyMove.objects.create(community=follow.community, kind=MoveKind.ENGAGEMENT, key="19",
                           post=post, detail="A post with 212 reactions")
    api = api_as(world.alpha.analyst, world.alpha.org)
    body = api.get(f"/workspaces/{ws.pk}/competitors", days="30").json()
    assert body["days"] == 30
    row = body["results"][0]
    assert row["handle"] == "pub-rival" and row["own"] is False
    assert row["followers"] == 1000 and row["growth"] == 100 and row["posts"] == 20
    assert row["ad_share"] == 0.05 and row["top_posts"][0]["url"] == "sandbox:pub-rival/19"
    assert row["er"] is not None and row["err"] is not None
    moves = api.get(f"/workspaces/{ws.pk}/competitors/moves").json()
    assert moves[0]["post_url"] == "sandbox:pub-rival/19"
    assert api.get(f"/workspaces/{ws.pk}/competitors", days="12").status_code == 400


def test_it_lists_mentions_and_the_inbox_holds_them(world: Any) -> None:
    ws = world.alpha.client_workspace
    Item.objects.create(organisation=ws.organisation, workspace=ws, channel=None, network="vk",
                        kind=Kind.MENTION, external_id="vk:-1_2", text="Alpha here",
                        sentiment="positive", raw={"url": "https://vk.com/wall-1_2"})
    api = api_as(world.alpha.manager, world.alpha.org)
    body = api.get(f"/workspaces/{ws.pk}/mentions").json()
    assert body["results"][0]["url"] == "https://vk.com/wall-1_2"
    inbox = api.get(f"/workspaces/{ws.pk}/inbox", kind="mention").json()
    assert inbox["results"][0]["channel_id"] is None


def test_it_hides_competitors_from_clients_and_outsiders(world: Any) -> None:
    ws = world.alpha.client_workspace
    _community(world)
    assert api_as(world.alpha.client, world.alpha.org).get(
        f"/workspaces/{ws.pk}/competitors").status_code == 404
    assert api_as(world.beta.owner, world.beta.org).get(
        f"/workspaces/{ws.pk}/mentions").status_code == 404
