"""Cross-marketing: a post exchange proposed, approved by the partner's link, side by side."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kosmmos.conftest import client_for
from kosmmos.content.models import Post
from kosmmos.giveaways import exchange
from kosmmos.giveaways.models import Exchange, Partner

pytestmark = pytest.mark.django_db


def _setup(world: Any) -> tuple[Partner, Post]:
    ws = world.alpha.client_workspace
    partner = Partner.objects.create(organisation=ws.organisation, workspace=ws, name="Сон и спина",
                                     network="sandbox", group_id="502",
                                     partner_workspace=world.alpha.other_workspace)
    post = Post.objects.create(organisation=ws.organisation, workspace=ws, title="О партнёре",
                               text="Наши друзья из «Сна и спины»")
    return partner, post


def test_it_puts_the_partners_post_in_their_plan_and_takes_their_approval_by_link(
        world: Any) -> None:
    partner, post = _setup(world)
    client = client_for(world.alpha.manager)
    page = client.post(reverse("giveaways:propose_exchange",
                               args=[world.alpha.client_workspace.pk]),
                       {"partner": partner.pk, "our_post": post.pk,
                        "their_text": "Лучшая корейская косметика — у наших друзей"})
    assert page.status_code == 302
    x = Exchange.objects.get()
    assert x.their_post is not None and x.their_post.workspace == world.alpha.other_workspace
    assert x.their_post.status == "draft"
    public = client_for(None, language="en")
    url = reverse("giveaways:exchange_public", args=[x.token])
    html = public.get(url).content.decode()
    assert "Наши друзья" in html and "Лучшая корейская" in html
    assert public.post(url, {"decision": "maybe"}).status_code == 400
    assert public.post(url, {"decision": "approve", "comment": "x" * 3000}).status_code == 400
    public.post(url, {"decision": "approve", "comment": "Отлично"})
    x.refresh_from_db()
    assert x.status == "approved" and x.partner_comment == "Отлично"
    public.post(url, {"decision": "changes"})  # decided already: nothing changes
    x.refresh_from_db()
    assert x.status == "approved"
    sides = exchange.results(x)
    assert [s.post for s in sides] == [post, x.their_post]
    index = client.get(reverse("giveaways:index", args=[world.alpha.client_workspace.pk]))
    assert "Сон и спина" in index.content.decode()


def test_it_refuses_a_foreign_post_or_partner_and_unknown_links(world: Any) -> None:
    partner, post = _setup(world)
    other = Post.objects.create(organisation=world.beta.org,
                                workspace=world.beta.client_workspace, text="чужой")
    client = client_for(world.alpha.manager)
    url = reverse("giveaways:propose_exchange", args=[world.alpha.client_workspace.pk])
    for bad in ({"partner": partner.pk, "our_post": other.pk, "their_text": "x"},
                {"partner": partner.pk, "our_post": post.pk, "their_text": "   "},
                {"partner": "nope", "our_post": post.pk, "their_text": "x"},
                {"partner": partner.pk, "our_post": post.pk, "their_text": "x" * 5000}):
        client.post(url, bad)
    assert not Exchange.objects.exists()
    assert client_for(None).get("/x/" + "a" * 200 + "/").status_code == 404
    assert client_for(world.alpha.client).post(url, {}).status_code == 403
