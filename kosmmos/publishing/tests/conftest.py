from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kosmmos.channels.models import Channel
from kosmmos.conftest import World
from kosmmos.connectors import registry
from kosmmos.content.models import Post, PostTarget
from kosmmos.publishing.tests import fakes


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> Iterator[fakes.FakeNetwork]:
    network = fakes.FakeNetwork()
    monkeypatch.setattr(fakes, "NETWORK", network)
    monkeypatch.setitem(registry.CONNECTORS, "sandbox",
                        "kosmmos.publishing.tests.fakes:FakeConnector")
    yield network


@pytest.fixture
def channel(world: World) -> Channel:
    alpha = world.alpha
    found = Channel(organisation=alpha.org, workspace=alpha.client_workspace, network="sandbox",
                    name="Alpha Sandbox", external_id="alpha-1")
    found.credentials = {"token": "secret-token"}
    found.save()
    return found


def make_post(world: World, channel: Channel, *, text: str = "Hello", at: Any = None,
              **extra: Any) -> tuple[Post, PostTarget]:
    alpha = world.alpha
    post = Post.objects.create(
        organisation=alpha.org, workspace=channel.workspace, text=text, status="approved",
        publish_at=at or timezone.now() - timedelta(seconds=1), **extra)
    target = PostTarget.objects.create(organisation=alpha.org, post=post, channel=channel)
    return post, target


@pytest.fixture
def scheduled(world: World, channel: Channel, net: fakes.FakeNetwork) -> tuple[Post, PostTarget]:
    from kosmmos.content.targets import schedule_post

    post, target = make_post(world, channel)
    assert schedule_post(post) == 1
    target.refresh_from_db()
    return post, target
