"""The item page for every role, with and without an assignee."""

from __future__ import annotations

import pytest

from kosmmos.channels.models import Channel
from kosmmos.conftest import World, client_for
from kosmmos.inbox.testing import make_item

pytestmark = pytest.mark.django_db


def test_it_shows_an_unassigned_item_to_an_analyst(world: World, vk: Channel) -> None:
    item = make_item(vk, "Где мой заказ?")
    page = client_for(world.alpha.analyst, language="en").get(f"/inbox/items/{item.pk}/")
    assert page.status_code == 200
    assert "Nobody" in page.content.decode()
    item.assignee = world.alpha.manager
    item.save(update_fields=["assignee"])
    page = client_for(world.alpha.analyst, language="en").get(f"/inbox/items/{item.pk}/")
    assert page.status_code == 200
    assert (world.alpha.manager.get_full_name() or world.alpha.manager.email) in page.content.decode()
