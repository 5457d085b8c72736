"""The pages: roles, hostile input, the public page and its draw.json."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.urls import reverse

from kosmmos.conftest import client_for
from kosmmos.giveaways import actions
from kosmmos.giveaways.models import Excluded, Giveaway, Partner, Stage
from kosmmos.giveaways.tests.conftest import make_giveaway

pytestmark = pytest.mark.django_db

GOOD = {"title": "Розыгрыш", "network": "sandbox", "owner_id": "-100", "item_id": "7",
        "group_id": "100", "like": "on", "member": "on", "starts_at": "2026-12-01T10:00",
        "ends_at": "2026-12-20T10:00", "winners_count": "1", "reserves_count": "2",
        "answer_days": "3", "min_age_days": "30", "prize_name": "Сертификат",
        "prize_cost": "1500"}


def test_it_creates_a_giveaway_from_the_form_with_its_prize_cost(world: Any) -> None:
    ws = world.alpha.client_workspace
    page = client_for(world.alpha.manager).post(reverse("giveaways:create", args=[ws.pk]), GOOD)
    giveaway = Giveaway.objects.get(workspace=ws)
    assert page.status_code == 302 and giveaway.drand_round
    assert giveaway.conditions["like"] and not giveaway.conditions["repost"]
    assert giveaway.prizes.get().cost_entry is not None


@pytest.mark.parametrize("change", [
    {"title": ""}, {"owner_id": "-1; DROP TABLE"}, {"item_id": "9" * 30},
    {"ends_at": "2026-11-01T10:00"}, {"like": "", "member": ""},
    {"winners_count": "100000"}, {"prize_cost": "-5"}, {"network": "myspace"},
    {"starts_at": "not a date"}, {"group_id": ""}, {"network": "vk"},  # VK without a token
    {"token": "a b"}, {"partners": "00000000-0000-0000-0000-000000000000"},
    {"title": "x" * 500}, {"owner_id": "", "item_id": ""},  # no ids and no VK publication
])
def test_it_refuses_hostile_input_and_stores_nothing(world: Any, change: dict[str, str]) -> None:
    ws = world.alpha.client_workspace
    page = client_for(world.alpha.manager).post(reverse("giveaways:create", args=[ws.pk]),
                                                {**GOOD, **change})
    assert page.status_code == 400
    assert not Giveaway.objects.exists()


def test_it_refuses_a_bad_exclusion_or_partner_and_keeps_good_ones(world: Any) -> None:
    ws = world.alpha.client_workspace
    client = client_for(world.alpha.manager)
    for bad in ({"kind": "own", "user_id": "vk:abc"}, {"kind": "god", "user_id": "vk:1"},
                {"kind": "own", "user_id": "vk:1", "note": "n" * 500}):
        assert client.post(reverse("giveaways:exclude", args=[ws.pk]), bad).status_code == 302
    assert not Excluded.objects.exists()
    client.post(reverse("giveaways:exclude", args=[ws.pk]),
                {"kind": "blacklist", "user_id": "sandbox:10000005", "note": "бот"})
    assert Excluded.objects.get().note == "бот"
    client.post(reverse("giveaways:partner", args=[ws.pk]),
                {"name": "<script>x</script>", "network": "sandbox", "group_id": "abc"})
    assert not Partner.objects.exists()


def test_it_refuses_a_client_with_403_and_another_agency_with_404(world: Any) -> None:
    giveaway = make_giveaway(world)
    url = reverse("giveaways:detail", args=[giveaway.pk])
    assert client_for(world.alpha.client).get(url).status_code == 403
    assert client_for(world.beta.owner).get(url).status_code == 404
    assert client_for(world.alpha.analyst).get(url).status_code == 200
    assert client_for(world.alpha.analyst).post(
        reverse("giveaways:retry", args=[giveaway.pk])).status_code == 403


def test_it_shows_the_public_page_and_serves_draw_json_only_after_the_freeze(
        world: Any) -> None:
    giveaway = make_giveaway(world)
    public = client_for(None, language="en")
    page = public.get(reverse("giveaways:public", args=[giveaway.code]))
    assert page.status_code == 200 and str(giveaway.drand_round) in page.content.decode()
    assert public.get(reverse("giveaways:public_json", args=[giveaway.code])).status_code == 404
    giveaway.participants.create(user_id="sandbox:10000001", name="Анна")
    giveaway.participants.create(user_id="sandbox:10000002", eligible=False, reason="no_like")
    actions.freeze(giveaway)
    giveaway.refresh_from_db()
    assert giveaway.stage == Stage.FROZEN
    html = public.get(reverse("giveaways:public", args=[giveaway.code])).content.decode()
    assert giveaway.list_sha256 in html and "python -m kosmmos.giveaways.verify" in html
    assert "sandbox:10000001" in html and "sandbox:10000002" not in html
    doc = public.get(reverse("giveaways:public_json", args=[giveaway.code])).json()
    assert doc["list"] == ["sandbox:10000001"] and doc["sha256"] == giveaway.list_sha256
    assert public.get("/g/" + "x" * 300 + "/").status_code == 404


def test_it_lets_staff_mark_a_winner_who_did_not_answer(world: Any) -> None:
    giveaway = make_giveaway(world)
    for n in range(3):
        giveaway.participants.create(user_id=f"sandbox:{n}", role="winner" if n == 0 else
                                     "reserve", rank=n)
    Giveaway.objects.filter(pk=giveaway.pk).update(stage=Stage.DRAWN)
    client = client_for(world.alpha.manager)
    url = reverse("giveaways:winner", args=[giveaway.pk])
    with mock.patch("kosmmos.giveaways.actions.draft_results"):
        client.post(url, {"user_id": "sandbox:1", "action": "no_answer"})  # not a winner
        assert giveaway.participants.get(user_id="sandbox:1").role == "reserve"
        client.post(url, {"user_id": "sandbox:0", "action": "no_answer"})
    assert giveaway.participants.get(user_id="sandbox:1").role == "winner"
    assert giveaway.participants.get(user_id="sandbox:0").role == "skipped"


def test_it_takes_the_ids_from_the_posts_publication_on_vk(world: Any) -> None:
    from kosmmos.channels.models import Channel
    from kosmmos.content.models import Post, PostTarget

    ws = world.alpha.client_workspace
    channel = Channel.objects.create(organisation=ws.organisation, workspace=ws, network="vk",
                                     name="VK", external_id="555")
    post = Post.objects.create(organisation=ws.organisation, workspace=ws, title="Розыгрыш",
                               status="published")
    PostTarget.objects.create(organisation=ws.organisation, post=post, channel=channel,
                              status="published", external_id="42")
    page = client_for(world.alpha.manager).post(reverse("giveaways:create", args=[ws.pk]), {
        **GOOD, "network": "vk", "token": "vk1.a.token", "owner_id": "", "item_id": "",
        "group_id": "", "post": post.pk})
    assert page.status_code == 302, page.content.decode()[:500]
    giveaway = Giveaway.objects.get()
    assert (giveaway.owner_id, giveaway.item_id, giveaway.group_id) == ("-555", "42", "555")
    assert giveaway.token() == "vk1.a.token" and "vk1.a.token" not in giveaway.token_encrypted
