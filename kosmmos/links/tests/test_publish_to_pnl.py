"""The whole money loop from a published post: the engine wraps the post's link, a reader clicks
the short link on the network, the shop reports the purchase, the P&L shows the revenue."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.connectors import registry
from kosmmos.content.models import Post, PostTarget, TargetStatus
from kosmmos.content.targets import schedule_post
from kosmmos.links import actions
from kosmmos.links.events import get_store
from kosmmos.links.flusher import drain_once
from kosmmos.links.models import Conversion, TrackedLink
from kosmmos.links.redirect import RedirectApp
from kosmmos.links.rollups import rollup_all
from kosmmos.links.tests.conftest import visit
from kosmmos.links.tests.test_money import signed_post
from kosmmos.publishing import dispatch
from kosmmos.publishing.tests import fakes


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> Iterator[fakes.FakeNetwork]:
    network = fakes.FakeNetwork()
    monkeypatch.setattr(fakes, "NETWORK", network)
    monkeypatch.setitem(registry.CONNECTORS, "sandbox", "kosmmos.publishing.tests.fakes:FakeConnector")
    yield network


def test_it_attributes_revenue_to_the_post_that_was_published(
    world: World, net: fakes.FakeNetwork, redirect_app: RedirectApp, settings: Any
) -> None:
    ws = world.alpha.client_workspace
    channel = Channel(organisation=world.alpha.org, workspace=ws, network="sandbox",
                      name="Rehearsal", external_id="money-loop")
    channel.credentials = {"token": "t"}
    channel.save()
    post = Post.objects.create(organisation=world.alpha.org, workspace=ws, status="approved",
                               text="Распродажа до пятницы: https://shop.example/sale?from=post",
                               publish_at=timezone.now())
    target = PostTarget.objects.create(organisation=world.alpha.org, post=post, channel=channel)
    schedule_post(post)
    dispatch.dispatch_due()

    target.refresh_from_db()
    assert target.status == TargetStatus.PUBLISHED
    link = TrackedLink.objects.get(workspace=ws)
    assert (link.network, link.post_ref) == ("sandbox", str(post.pk))
    [sent] = [p["text"] for posts in net.posts.values() for p in posts]
    assert sent == f"Распродажа до пятницы: {link.short_url}" and target.sent_text == sent
    assert link.utm()["utm_source"] == "sandbox"

    response = visit(redirect_app, urlsplit(link.short_url).path, referer="https://sandbox.local/")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("https://shop.example/sale?from=post")
    kid = parse_qs(urlsplit(location).query)["kid"][0]
    drain_once(get_store(), settings.LINKS_SPOOL_DIR)
    rollup_all()

    answer = signed_post(Client(), actions.money_settings(ws), {
        "event_id": "order-77", "event": "purchase", "amount": "2500", "kid": kid})
    assert answer.status_code == 201 and answer.json()["attributed"] is True
    assert Conversion.objects.get(event_id="order-77").link == link
    page = client_for(world.alpha.owner, language="en").get(f"/workspaces/{ws.pk}/money/")
    figures = page.context["figures"]
    assert (figures.clicks, figures.conversions, figures.attributed) == (1, 1, 1)
    assert figures.revenue == Decimal("2500")
