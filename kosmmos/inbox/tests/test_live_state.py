"""A reply's delivery state updates on the item page without a reload (htmx polling)."""

from __future__ import annotations

import pytest

from kosmmos.conftest import World, client_for
from kosmmos.inbox.models import Reply, ReplyStatus
from kosmmos.inbox.testing import make_channel, make_item

pytestmark = pytest.mark.django_db


def test_it_polls_a_reply_until_it_is_sent(world: World) -> None:
    ws = world.alpha.client_workspace
    item = make_item(make_channel(ws, "sandbox", "c1"), "Где купить?")
    reply = Reply.objects.create(organisation=ws.organisation, item=item, text="В профиле",
                                 author=world.alpha.manager)
    browser = client_for(world.alpha.manager, language="en")
    page = browser.get(f"/inbox/items/{item.pk}/").content.decode()
    assert f'hx-get="/inbox/replies/{reply.pk}/"' in page and 'hx-trigger="every 2s"' in page
    Reply.objects.filter(pk=reply.pk).update(status=ReplyStatus.SENT)
    part = browser.get(f"/inbox/replies/{reply.pk}/").content.decode()
    assert "Sent" in part and "hx-trigger" not in part and "<html" not in part


def test_it_hides_a_reply_state_from_another_agency(world: World) -> None:
    ws = world.alpha.client_workspace
    item = make_item(make_channel(ws, "sandbox", "c1"), "x")
    reply = Reply.objects.create(organisation=ws.organisation, item=item, text="y")
    assert client_for(world.beta.owner).get(f"/inbox/replies/{reply.pk}/").status_code == 404
