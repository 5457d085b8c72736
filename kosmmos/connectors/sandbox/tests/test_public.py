"""The sandbox's public pages: a post's link opens something a person can read."""

from __future__ import annotations

import asyncio
import time

import httpx

from kosmmos.connectors.sandbox.server import Network, SandboxApp

AUTH = {"Authorization": "Bearer t"}


def get(app: SandboxApp, url: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://s.test") as client:
            return await client.get(url, headers=headers)
    return asyncio.run(go())


def test_it_shows_a_post_with_its_counters_and_comments(network: Network) -> None:
    app = SandboxApp(network)
    now = time.time()
    post = network.add_post("shop", "k1", "Новая <b>коллекция</b>", [], accepted_at=now - 3600,
                            scripted=[{"author": "Аня", "text": "Где купить?", "at": now - 600}],
                            answers=[{"text": "В профиле ссылка", "at": now - 300,
                                      "reply_to": 0}])
    page = get(app, f"/p/shop/{post['id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Новая &lt;b&gt;коллекция&lt;/b&gt;" in page.text  # escaped, never markup
    assert "Где купить?" in page.text and "В профиле ссылка" in page.text
    assert "ответ канала" in page.text and "просмотры" in page.text
    assert page.text.index("Где купить?") < page.text.index("В профиле ссылка")
    english = get(app, f"/p/shop/{post['id']}", **{"Accept-Language": "en-GB,en"})
    assert "views" in english.text and 'lang="en"' in english.text


def test_it_lists_the_channel_wall_newest_first(network: Network) -> None:
    app = SandboxApp(network)
    network.add_post("shop", "k1", "первый", [])
    network.add_post("shop", "k2", "второй", [])
    page = get(app, "/p/shop")
    assert page.status_code == 200
    assert page.text.index("второй") < page.text.index("первый")
    assert 'href="/p/shop/2"' in page.text


def test_it_answers_a_readable_404_for_a_deleted_or_unknown_post(network: Network) -> None:
    app = SandboxApp(network)
    post = network.add_post("shop", "k1", "x", [])
    post["deleted_at"] = time.time()
    for url in (f"/p/shop/{post['id']}", "/p/shop/999", "/p/shop/abc", "/p/nobody",
                "/p/shop/1/more"):
        page = get(app, url)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text


def test_it_sends_a_browser_on_an_api_address_to_the_public_page(network: Network) -> None:
    app = SandboxApp(network)
    network.add_post("shop", "k1", "x", [])
    page = get(app, "/channels/shop/posts/1", Accept="text/html,*/*")
    assert page.status_code == 302 and page.headers["location"] == "/p/shop/1"
    assert get(app, "/channels/shop/posts/1").status_code == 401  # an API client is not moved
    assert get(app, "/channels/shop/posts/1", **AUTH).json()["url"].endswith("/p/shop/1")
