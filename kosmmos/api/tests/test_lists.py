"""Lists: cursor pagination, filters, the inbox, links with clicks and the P&L."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from kosmmos.api.tests.conftest import api_as
from kosmmos.conftest import World
from kosmmos.content.models import Post, PostStatus
from kosmmos.inbox.testing import make_channel, make_item
from kosmmos.links import actions as money
from kosmmos.links.events import Click, get_store
from kosmmos.links.models import TrackedLink
from kosmmos.links.rollups import rollup_all


def _pages(api: object, path: str, **params: object) -> list[list[str]]:
    pages, cursor = [], ""
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = api.get(path, **query).json()
        pages.append([row["id"] for row in body["results"]])
        cursor = body["next_cursor"]
        if not cursor:
            return pages


def test_it_pages_posts_with_a_cursor_without_gaps_or_repeats(world: World) -> None:
    ws = world.alpha.client_workspace
    posts = [Post.objects.create(organisation=ws.organisation, workspace=ws, text=f"Пост {i}")
             for i in range(7)]
    # Same created_at for some rows: the id breaks ties, so none is skipped.
    Post.objects.filter(pk__in=[p.pk for p in posts[:4]]).update(created_at=posts[0].created_at)
    api = api_as(world.alpha.analyst, world.alpha.org)
    pages = _pages(api, f"/workspaces/{ws.pk}/posts", limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sorted(i for page in pages for i in page) == sorted(str(p.pk) for p in posts)
    # A post added meanwhile comes at the end, not in the middle of a page already read.
    first = api.get(f"/workspaces/{ws.pk}/posts", limit=3).json()
    Post.objects.create(organisation=ws.organisation, workspace=ws, text="Новый")
    rest = api.get(f"/workspaces/{ws.pk}/posts", limit=50, cursor=first["next_cursor"]).json()
    assert len(rest["results"]) == 5


def test_it_refuses_a_bad_cursor_limit_or_filter(world: World) -> None:
    ws = world.alpha.client_workspace
    api = api_as(world.alpha.owner, world.alpha.org, language="en")
    for params, name in [({"cursor": "garbage!"}, "cursor"), ({"limit": "0"}, "limit"),
                         ({"limit": "500"}, "limit"), ({"status": "lost"}, "status"),
                         ({"from": "yesterday"}, "from")]:
        response = api.get(f"/workspaces/{ws.pk}/posts", **params)
        assert response.status_code == 400, params
        error = response.json()["error"]
        assert error["code"] == "invalid_parameter" and list(error["fields"]) == [name]


def test_it_filters_posts_by_status_and_publication_time(world: World) -> None:
    ws = world.alpha.client_workspace
    now = timezone.now()
    soon = Post.objects.create(organisation=ws.organisation, workspace=ws, text="Скоро",
                               status=PostStatus.APPROVED, publish_at=now + timedelta(days=1))
    Post.objects.create(organisation=ws.organisation, workspace=ws, text="Потом",
                        status=PostStatus.APPROVED, publish_at=now + timedelta(days=20))
    Post.objects.create(organisation=ws.organisation, workspace=ws, text="Черновик",
                        publish_at=now + timedelta(days=1))
    api = api_as(world.alpha.owner, world.alpha.org)
    found = api.get(f"/workspaces/{ws.pk}/posts", status="approved",
                    to=(now + timedelta(days=5)).date().isoformat()).json()["results"]
    assert [p["id"] for p in found] == [str(soon.pk)]
    since = api.get(f"/workspaces/{ws.pk}/posts",
                    **{"from": (now + timedelta(days=10)).isoformat()}).json()["results"]
    assert [p["text"] for p in since] == ["Потом"]


def test_it_lists_the_inbox_with_filters_and_pages(world: World) -> None:
    ws = world.alpha.client_workspace
    vk = make_channel(ws, "vk", "club1")
    tg = make_channel(ws, "telegram", "-1001")
    old = timezone.now() - timedelta(days=10)
    make_item(vk, "Ужасный сервис", sentiment="negative", external_id="1", received_at=old)
    make_item(vk, "Спасибо!", sentiment="positive", external_id="2")
    make_item(tg, "Когда доставка?", sentiment="neutral", external_id="3", status="closed")
    api = api_as(world.alpha.manager, world.alpha.org)
    path = f"/workspaces/{ws.pk}/inbox"
    every = api.get(path).json()["results"]
    assert [i["text"] for i in every] == ["Ужасный сервис", "Спасибо!", "Когда доставка?"]
    assert every[0]["sentiment"] == "negative" and every[0]["channel_id"] == str(vk.pk)
    assert [i["text"] for i in api.get(path, network="telegram").json()["results"]] == [
        "Когда доставка?"]
    assert [i["text"] for i in api.get(path, sentiment="negative").json()["results"]] == [
        "Ужасный сервис"]
    assert [i["text"] for i in api.get(path, status="open").json()["results"]] == [
        "Ужасный сервис", "Спасибо!"]
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert len(api.get(path, since=since).json()["results"]) == 2
    assert [len(p) for p in _pages(api, path, limit=2)] == [2, 1]
    assert api.get(path, sentiment="angry").status_code == 400


def test_it_lists_links_with_their_clicks_and_the_pnl(world: World) -> None:
    ws = world.alpha.client_workspace
    link = TrackedLink.objects.create(organisation=ws.organisation, workspace=ws,
                                      target_url="https://shop.example/", network="vk",
                                      title="Осенняя коллекция")
    now = timezone.now()
    ms = int(now.timestamp() * 1000)
    store = get_store()
    store.append_clicks([Click(click_id=f"c{i}", ts_ms=ms + i, workspace_id=ws.pk,
                               link_id=link.pk) for i in range(3)])
    rollup_all()
    money.add_cost(ws, month=timezone.localdate(), category="content", amount=Decimal("1500.50"))
    ws.organisation.show_costs_to_clients = True  # this agency shows its client the costs
    ws.organisation.save(update_fields=["show_costs_to_clients"])
    api = api_as(world.alpha.client, world.alpha.org)  # a client reads the money of its workspace
    links = api.get(f"/workspaces/{ws.pk}/links").json()["results"]
    assert len(links) == 1
    assert (links[0]["code"], links[0]["clicks"], links[0]["revenue"]) == (link.code, 3, "0.00")
    assert links[0]["short_url"] == f"http://go.kosmmos.test/{link.code}"
    pnl = api.get(f"/workspaces/{ws.pk}/pnl").json()
    assert (pnl["costs"], pnl["clicks"], pnl["profit"], pnl["currency"]) == (
        "1500.50", 3, "-1500.50", "RUB")
    assert pnl["months"][-1]["month"] == pnl["to"] == f"{timezone.localdate():%Y-%m}"
    assert api.get(f"/workspaces/{ws.pk}/pnl", to="2026-13").status_code == 400


def _cursor(value: object) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_it_refuses_a_cursor_or_limit_it_cannot_read_with_400_not_500(world: World) -> None:
    ws = world.alpha.client_workspace
    api = api_as(world.alpha.owner, world.alpha.org, language="en")
    api.client.raise_request_exception = False
    some_id = "6f1c0f3e-9d1c-4c7e-9a34-9b0c8f1e2d3a"
    for params, name in [
            ({"cursor": _cursor(["2026-01-01T00:00:00+00:00", 5])}, "cursor"),  # id not a string
            ({"cursor": _cursor(["2026-01-01T00:00:00+00:00", []])}, "cursor"),
            ({"cursor": _cursor(["0001-01-01T00:00:00+05:00", some_id])}, "cursor"),  # year 0 UTC
            ({"limit": "²"}, "limit")]:  # a digit to str.isdigit, not to int()
        response = api.get(f"/workspaces/{ws.pk}/posts", **params)
        assert response.status_code == 400, params
        error = response.json()["error"]
        assert error["code"] == "invalid_parameter" and list(error["fields"]) == [name], params


def test_it_refuses_dates_and_months_out_of_range_with_400_not_500(world: World) -> None:
    ws = world.alpha.client_workspace
    api = api_as(world.alpha.owner, world.alpha.org, language="en")
    api.client.raise_request_exception = False
    # Valid ISO dates whose UTC time (or the month after) is before year 1 or after 9999.
    for path, params, name in [
            ("posts", {"from": "0001-01-01"}, "from"),
            ("posts", {"from": "0001-01-01T00:00:00+05:00"}, "from"),
            ("posts", {"to": "9999-12-31T23:00:00-05:00"}, "to"),
            ("inbox", {"since": "0001-01-01"}, "since"),
            ("links", {"to": "9999-12"}, "to"),
            ("pnl", {"to": "9999-12"}, "to"),
            ("pnl", {"from": "0001-01", "to": "0001-01"}, "from")]:
        response = api.get(f"/workspaces/{ws.pk}/{path}", **params)
        assert response.status_code == 400, (path, params)
        error = response.json()["error"]
        assert error["code"] == "invalid_parameter" and list(error["fields"]) == [name], params
