from __future__ import annotations

from typing import Any

import pytest

from kosmmos.channels.models import Channel
from kosmmos.conftest import World
from kosmmos.connectors.testing import spec_checked  # noqa: F401
from kosmmos.inbox.testing import make_channel

VK_GROUP = "200100"
TG_CHANNEL = "-1002000000000"
TG_GROUP = "-1002000000001"


@pytest.fixture(autouse=True)
def _fast_jobs(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Long poll answers at once; work deferred to the commit runs at once (a test's
    transaction never commits), so a reply or a training run completes inside the request."""
    from django.db import transaction

    settings.INBOX_LONGPOLL_WAIT = 0
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def vk(world: World) -> Channel:
    return make_channel(world.alpha.client_workspace, "vk", VK_GROUP, name="Alpha VK",
                        config={"vk_confirmation": "a1b2c3d4"},
                        credentials={"vk_secret": "vk-secret-1", "community_token": "ctok",
                                     "user_token": "utok"})


@pytest.fixture
def tg(world: World) -> Channel:
    return make_channel(world.alpha.client_workspace, "telegram", TG_CHANNEL,
                        name="Alpha Telegram", config={"discussion_chat_id": TG_GROUP},
                        credentials={"bot_token": "123:abc", "webhook_secret": "tg-secret-1"})
