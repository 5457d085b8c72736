"""The pages: who may see and change what, hostile input, the comparison with its numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kosmmos.competitors.models import Community, CommunityPost, Follow, Followers, PublicKeys
from kosmmos.conftest import client_for
from kosmmos.inbox.models import Item, Kind

pytestmark = pytest.mark.django_db


def _community(world: Any, handle: str = "pub-a", *, own: bool = False) -> Follow:
    community = Community.objects.create(network="sandbox", handle=handle, name=f"Name {handle}",
                                         followers=1000, next_attempt_at=timezone.now()
                                         + timedelta(hours=1))
    now = timezone.now()
    CommunityPost.objects.bulk_create([CommunityPost(
        community=community, external_id=str(i), published_at=now - timedelta(days=i % 20),
        text="Реклама erid: abc" if i == 0 else f"post {i}", url=f"sandbox:{handle}/{i}",
        likes=10 * i, comments=i, reposts=1, views=100 * i + 100, is_ad=i == 0)
        for i in range(20)])
    Followers.objects.create(community=community, day=timezone.localdate() - timedelta(days=10),
                             followers=900)
    Followers.objects.create(community=community, day=timezone.localdate(), followers=1000)
    return Follow.objects.create(organisation=world.alpha.org,
                                 workspace=world.alpha.client_workspace, community=community,
                                 own=own)


def test_it_shows_the_comparison_with_formulas_top_posts_and_ad_share(world: Any) -> None:
    _community(world, "pub-own", own=True)
    _community(world, "pub-rival")
    page = client_for(world.alpha.analyst, language="en").get(
        reverse("competitors:compare", args=[world.alpha.client_workspace.pk]) + "?days=30")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Name pub-own" in html and "Name pub-rival" in html
    assert "ER = (likes + comments + reposts) per post" in html
    assert "sandbox:pub-rival/19" in html  # the top post, linked
    assert "+100" in html  # growth over the period
    assert "5 %" in html  # one ad post in twenty
    assert "<svg" in html
    # An analyst reads: no add form.
    assert 'id="add-competitor"' not in html


def test_it_hides_the_pages_from_outsiders_and_clients(world: Any) -> None:
    ws = world.alpha.client_workspace
    follow = _community(world)
    # Another tenant's workspace is not there (404); the client's own is an agency page their
    # role may not open (403 with words): the one rule for roles.
    for user, refused in ((world.beta.owner, 404), (world.alpha.client, 403)):
        browser = client_for(user)
        assert browser.get(reverse("competitors:compare", args=[ws.pk])).status_code == refused
        assert browser.get(reverse("competitors:mentions", args=[ws.pk])).status_code == refused
        assert browser.post(reverse("competitors:add", args=[ws.pk]),
                            {"address": "sandbox:pub-b"}).status_code in (403, 404)
        assert browser.post(reverse("competitors:remove", args=[follow.pk])).status_code in (
            403, 404)
    assert Follow.objects.count() == 1


def test_it_adds_by_link_and_refuses_hostile_input(world: Any) -> None:
    ws = world.alpha.client_workspace
    browser = client_for(world.alpha.manager, language="en")
    url = reverse("competitors:add", args=[ws.pk])
    for bad in ({"address": "https://evil.example/"}, {"address": "a\x00b"},
                {"address": "x" * 5000}, {"address": "@name", "network": "myspace"},
                {"address": "<script>alert(1)</script>"}, {}):
        response = browser.post(url, bad, follow=True)
        assert response.status_code == 200
    assert not Follow.objects.exists()
    response = browser.post(url, {"address": "https://vk.com/club123"}, follow=True)
    assert response.status_code == 200
    assert Community.objects.get().handle == "123"


def test_it_saves_keys_without_showing_them_again(world: Any) -> None:
    browser = client_for(world.alpha.owner, language="en")
    url = reverse("competitors:keys")
    response = browser.post(url, {"vk_service_token": "secret-token-1", "sandbox_key": "k"})
    assert response.status_code == 302
    page = browser.get(url).content.decode()
    assert "secret-token-1" not in page and "stored" in page
    assert browser.post(url, {"vk_service_token": "has space"}).status_code == 200
    assert PublicKeys.objects.get().read()["vk_service_token"] == "secret-token-1"
    assert client_for(world.alpha.analyst).get(url).status_code == 403


def test_it_saves_the_mention_query_and_refuses_bad_ones(world: Any) -> None:
    ws = world.alpha.client_workspace
    browser = client_for(world.alpha.manager, language="en")
    url = reverse("competitors:mentions", args=[ws.pk])
    assert browser.post(url, {"words": "  \n "}).status_code == 200
    assert browser.post(url, {"words": "\n".join(f"w{i}" for i in range(30))}).status_code == 200
    assert not ws.__class__.objects.get(pk=ws.pk).__dict__.get("mention_query")
    assert browser.post(url, {"words": "Alpha\nАльфа", "exclusions": "jobs",
                              "enabled": "on"}).status_code == 302
    assert ws.mention_query.word_list() == ["Alpha", "Альфа"]


def test_it_lists_mentions_in_their_own_inbox_tab(world: Any) -> None:
    ws = world.alpha.client_workspace
    Item.objects.create(organisation=ws.organisation, workspace=ws, channel=None,
                        network="vk", kind=Kind.MENTION, external_id="vk:-1_2",
                        text="Alpha mentioned here", raw={"url": "https://vk.com/wall-1_2"})
    browser = client_for(world.alpha.manager, language="en")
    inbox = browser.get(reverse("inbox:list")).content.decode()
    assert "Alpha mentioned here" not in inbox and "Mentions" in inbox
    tab = browser.get(reverse("inbox:list") + "?kind=mention").content.decode()
    assert "Alpha mentioned here" in tab
    item = Item.objects.get(kind=Kind.MENTION)
    page = browser.get(reverse("inbox:item", args=[item.pk]))
    assert page.status_code == 200 and "https://vk.com/wall-1_2" in page.content.decode()
