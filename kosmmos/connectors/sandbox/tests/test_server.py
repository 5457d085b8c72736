"""The sandbox server behaves like a real network, faults included (in-process ASGI)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kosmmos.connectors.sandbox.server import Network, SandboxApp

AUTH = {"Authorization": "Bearer t"}


def run(app: SandboxApp, *calls: tuple[str, str, Any]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://s.test") as client:
            return [await client.request(m, u, json=j, headers=AUTH) for m, u, j in calls]
    return asyncio.run(go())


def test_it_stores_a_post_and_finds_it_by_key(app: SandboxApp) -> None:
    created, found, missing = run(app, ("POST", "/channels/c1/posts", {"key": "k1", "text": "Hi"}),
                                  ("GET", "/channels/c1/posts?key=k1", None),
                                  ("GET", "/channels/c1/posts?key=nope", None))
    assert created.status_code == 201
    body = created.json()
    assert body["id"] == "1" and body["key"] == "k1" and body["text"] == "Hi"
    assert body["url"] == "http://sandbox.test/p/c1/1"
    assert abs(body["accepted_at"] - time.time()) < 5
    assert [p["id"] for p in found.json()["items"]] == ["1"]
    assert missing.json() == {"items": []}


def test_it_answers_5xx_without_acting(app: SandboxApp, network: Network) -> None:
    network.faults["error_rate"] = 1.0
    (answer,) = run(app, ("POST", "/channels/c1/posts", {"key": "k1", "text": "Hi"}))
    assert answer.status_code == 503
    assert network.posts == {}


def test_it_rate_limits_with_retry_after(app: SandboxApp, network: Network) -> None:
    network.set_config("c1", {"rate_per_s": 1, "burst": 2})
    answers = run(app, *[("POST", "/channels/c1/posts", {"key": f"k{i}", "text": "x"})
                         for i in range(3)])
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert 0 < answers[2].json()["retry_after"] <= 1.0
    assert answers[2].headers["retry-after"] == "1"
    assert len(network.posts) == 2


def test_it_stores_the_post_and_loses_the_answer(app: SandboxApp, network: Network) -> None:
    network.set_config("c1", {"ambiguous_rate": 1.0, "hang_s": 0.2})
    results = []
    for i in range(6):  # both ways of losing the answer: a late answer and a cut connection
        try:
            results.append(run(app, ("POST", "/channels/c1/posts", {"key": f"k{i}", "text": "x"})
                               )[0].status_code)
        except Exception as exc:
            results.append(type(exc).__name__)
    assert len(network.posts) == 6  # acted every time
    assert "ConnectionAbortedError" in results


def test_it_refuses_a_revoked_token(app: SandboxApp, network: Network) -> None:
    network.set_config("c1", {"revoked": True})
    (answer,) = run(app, ("POST", "/channels/c1/posts", {"key": "k", "text": "x"}))
    assert answer.status_code == 401 and answer.json()["error"] == "auth_revoked"


def test_it_edits_and_deletes(app: SandboxApp, network: Network) -> None:
    answers = run(app, ("POST", "/channels/c1/posts", {"key": "k", "text": "old"}),
                  ("PATCH", "/channels/c1/posts/1", {"text": "new"}),
                  ("DELETE", "/channels/c1/posts/1", None),
                  ("DELETE", "/channels/c1/posts/1", None),
                  ("GET", "/channels/c2/posts/1", None))
    assert [a.status_code for a in answers] == [201, 200, 204, 204, 404]
    assert network.posts[1]["text"] == "new" and network.posts[1]["deleted_at"]


def test_it_grows_stats_comments_and_followers_deterministically(network: Network) -> None:
    post = network.add_post("c1", "k", "x", [])
    later = post["accepted_at"] + 6 * 3600
    early, late = network.stats(post, post["accepted_at"] + 600), network.stats(post, later)
    assert 0 <= early["views"] < late["views"] and late["likes"] <= late["views"]
    assert len(network.comments(post, later)) == late["comments"] > 0
    twin = Network(seed=7)
    twin.channels["c1"] = dict(network.channels["c1"])
    assert twin.followers("c1", later) == network.followers("c1", later)
    assert network.followers("c1", later + 30 * 86400) > network.followers("c1", later)


def test_it_persists_and_reloads(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.sqlite3")
    first = Network(path=path, seed=1)
    first.add_post("c1", "k1", "hello", [{"kind": "photo"}])
    first.set_config("c1", {"error_rate": 0.5})
    assert first.flush() == 2
    again = Network(path=path, seed=1)
    assert again.posts[1]["text"] == "hello" and again.by_key[("c1", "k1")] == [1]
    assert again.config("c1")["error_rate"] == 0.5
    assert again.add_post("c1", "k2", "x", [])["id"] == 2


def test_it_reports_duplicates_for_the_bench(app: SandboxApp) -> None:
    answers = run(app, ("POST", "/channels/c1/posts", {"key": "k", "text": "x"}),
                  ("POST", "/channels/c1/posts", {"key": "k", "text": "x"}),
                  ("GET", "/_admin/summary", None), ("GET", "/_admin/posts?after=0", None))
    assert answers[2].json()["duplicate_keys"] == 1
    assert [row[2] for row in answers[3].json()["items"]] == ["k", "k"]


@pytest.mark.parametrize("body", [{}, {"key": "k"}, {"text": "no key"}])
def test_it_rejects_invalid_posts(app: SandboxApp, body: dict[str, Any]) -> None:
    (answer,) = run(app, ("POST", "/channels/c1/posts", body))
    assert answer.status_code == 400


# --- comments by the channel (our replies from the inbox) ---------------------------------------


def aged_post(network: Network, hours: float = 48) -> dict[str, Any]:
    """A post published ``hours`` ago, so its customers' comments have arrived."""
    post = network.add_post("c1", "k", "Пост", [])
    post["accepted_at"] -= hours * 3600
    return post


def test_it_stores_the_channels_comment_and_lists_it(app: SandboxApp, network: Network) -> None:
    post = aged_post(network)
    first = network.comments(post)[0]
    created, listed, by_key, stats = run(
        app, ("POST", "/channels/c1/posts/1/comments",
              {"text": "Спасибо!", "reply_to": first["id"], "key": "r-1"}),
        ("GET", "/channels/c1/posts/1/comments", None),
        ("GET", "/channels/c1/posts/1/comments?key=r-1", None),
        ("GET", "/channels/c1/stats?ids=1", None))
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("id", "author", "text", "reply_to", "from_channel", "key")} == {
        "id": "1_r1", "author": "c1", "text": "Спасибо!", "reply_to": first["id"],
        "from_channel": True, "key": "r-1"}
    assert listed.json()["items"][-1] == body
    assert by_key.json() == {"items": [body]}
    assert stats.json()["items"]["1"]["comments"] == len(listed.json()["items"])


def test_it_posts_a_key_once(app: SandboxApp, network: Network) -> None:
    aged_post(network)
    again = {"text": "Ответ", "key": "r-1"}
    first, second, other = run(app, ("POST", "/channels/c1/posts/1/comments", again),
                               ("POST", "/channels/c1/posts/1/comments", again),
                               ("POST", "/channels/c1/posts/1/comments", {"text": "Без ключа"}))
    assert (first.status_code, second.status_code, other.status_code) == (201, 200, 201)
    assert first.json()["id"] == second.json()["id"] != other.json()["id"]
    assert len(network.own_comments[1]) == 2


@pytest.mark.parametrize(("body", "message"), [
    ({}, "text required"),
    ({"text": "   "}, "text required"),
    ({"text": "x" * 4097}, "text longer than 4096 characters"),
    ({"text": "x", "reply_to": "1_999"}, "reply_to: no comment 1_999 on this post"),
    ({"text": "x", "reply_to": True}, "reply_to must be a comment id"),
    ({"text": "x", "key": 5}, "key must be a string of at most 100 characters"),
])
def test_it_rejects_invalid_comments(app: SandboxApp, network: Network, body: dict[str, Any],
                                     message: str) -> None:
    aged_post(network)
    (answer,) = run(app, ("POST", "/channels/c1/posts/1/comments", body))
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid", "message": message})
    assert network.own_comments == {}


def test_it_accepts_a_comment_of_exactly_the_limit(app: SandboxApp, network: Network) -> None:
    aged_post(network)
    (answer,) = run(app, ("POST", "/channels/c1/posts/1/comments", {"text": "я" * 4096}))
    assert answer.status_code == 201


def test_it_guards_comments_like_every_write(app: SandboxApp, network: Network) -> None:
    aged_post(network)
    network.add_post("c2", "k", "чужой", [])
    path = "/channels/c1/posts/1/comments"

    async def anonymous() -> int:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://s.test") as client:
            return (await client.post(path, json={"text": "x"})).status_code

    assert asyncio.run(anonymous()) == 401
    (foreign,) = run(app, ("POST", "/channels/c1/posts/2/comments", {"text": "x"}))
    assert foreign.status_code == 404
    network.set_config("c1", {"error_rate": 1.0})
    (unavailable,) = run(app, ("POST", path, {"text": "x"}))
    network.set_config("c1", {"error_rate": 0.0, "rate_limit_rate": 1.0, "retry_after": 2.0})
    (limited,) = run(app, ("POST", path, {"text": "x"}))
    network.set_config("c1", {"rate_limit_rate": 0.0, "revoked": True})
    (revoked,) = run(app, ("POST", path, {"text": "x"}))
    assert (unavailable.status_code, limited.status_code, revoked.status_code) == (503, 429, 401)
    assert limited.json() == {"error": "rate_limited", "retry_after": 2.0}
    assert network.own_comments == {}  # none of these acted
    network.set_config("c1", {"revoked": False})
    run(app, ("DELETE", "/channels/c1/posts/1", None))
    (deleted,) = run(app, ("POST", path, {"text": "x"}))
    assert (deleted.status_code, deleted.json()["error"]) == (404, "deleted")


def test_it_stores_the_comment_and_loses_the_answer_then_finds_it_by_key(
        app: SandboxApp, network: Network) -> None:
    aged_post(network)
    network.set_config("c1", {"ambiguous_rate": 1.0, "hang_s": 0.01})
    network.rng.random = lambda: 0.9  # type: ignore[method-assign]  # the cut connection
    with pytest.raises(ConnectionAbortedError):
        run(app, ("POST", "/channels/c1/posts/1/comments", {"text": "x", "key": "r-1"}))
    network.set_config("c1", {"ambiguous_rate": 0.0})
    found, resent = run(app, ("GET", "/channels/c1/posts/1/comments?key=r-1", None),
                        ("POST", "/channels/c1/posts/1/comments", {"text": "x", "key": "r-1"}))
    assert [c["id"] for c in found.json()["items"]] == ["1_r1"]
    assert (resent.status_code, resent.json()["id"]) == (200, "1_r1")
    assert len(network.own_comments[1]) == 1


def test_it_persists_comments_and_their_keys(tmp_path: Path) -> None:
    path = str(tmp_path / "sandbox.sqlite3")
    first = Network(path=path, seed=1)
    post = first.add_post("c1", "k1", "hello", [])
    first.add_comment(post, "Спасибо!", "1_0", "r-1")
    assert first.flush() == 2  # the post and the comment
    again = Network(path=path, seed=1)
    (comment,) = again.own_comments[1]
    assert (comment["id"], comment["text"], comment["reply_to"]) == ("1_r1", "Спасибо!", "1_0")
    assert again.add_comment(again.posts[1], "Спасибо!", "1_0", "r-1") == (comment, False)
    assert again.add_comment(again.posts[1], "Ещё", "", "")[0]["id"] == "1_r2"


# --- posts with a history (the demo's) -------------------------------------------------------


def test_it_seeds_the_channels_answers_to_scripted_comments(
    app: SandboxApp, network: Network, tmp_path: Path
) -> None:
    now = time.time()
    history = {"key": "demo-2", "text": "Акция", "accepted_at": now - 86400, "comments": [
        {"author": "Олег", "text": "Где заказ?", "at": now - 3600},
        {"from_channel": True, "text": "Олег, уже везём!", "at": now - 3000, "reply_to": 0},
        {"author": "Аня", "text": "Спасибо!", "at": now - 7200},  # earlier: numbered first
    ]}
    created, listing = run(app, ("POST", "/_admin/channels/c1/posts", history),
                           ("GET", "/channels/c1/posts/1/comments", None))
    assert created.status_code == 201
    items = listing.json()["items"]
    assert [(c["id"], c.get("reply_to"), c.get("from_channel", False)) for c in items] == [
        ("1_0", None, False), ("1_1", None, False), ("1_r1", "1_1", True)]
    assert items[1]["author"] == "Олег" and items[2]["author"] == "c1"

    path = str(tmp_path / "sandbox.sqlite3")
    first = Network(path=path, seed=1)
    first.add_post("c1", "k1", "hello", [], accepted_at=now - 86400,
                   scripted=[{"author": "Аня", "text": "Класс", "at": now - 60}],
                   answers=[{"text": "Спасибо!", "at": now - 30, "reply_to": 0}])
    first.flush()
    again = Network(path=path, seed=1)
    assert [(c["id"], c.get("reply_to")) for c in again.comments(again.posts[1])] == [
        ("1_0", None), ("1_r1", "1_0")]


def test_it_seeds_a_backdated_post_whose_scripted_comments_arrive_on_time(
    app: SandboxApp, network: Network, tmp_path: Path
) -> None:
    now = time.time()
    history = {"key": "demo-1", "text": "Новинка", "accepted_at": now - 2 * 86400, "comments": [
        {"author": "Марина К.", "text": "Где мой заказ? Жду вторую неделю", "at": now - 86400},
        {"author": "Олег", "text": "Спасибо, всё пришло!", "at": now - 3600},
        {"author": "Ира", "text": "Есть размер побольше?", "at": now + 1800},  # arrives later
    ]}
    created, listing = run(app, ("POST", "/_admin/channels/c1/posts", history),
                           ("GET", "/channels/c1/posts/1/comments", None))

    assert created.status_code == 201
    assert created.json()["accepted_at"] == pytest.approx(now - 2 * 86400)
    assert created.json()["key"] == "demo-1"
    items = listing.json()["items"]
    assert [(c["id"], c["author"], c["text"]) for c in items] == [
        ("1_0", "Марина К.", "Где мой заказ? Жду вторую неделю"),
        ("1_1", "Олег", "Спасибо, всё пришло!"),
    ]  # only what was scripted (no generated ones) and only what has arrived
    post = network.posts[1]
    assert [c["id"] for c in network.comments(post, now + 3600)] == ["1_0", "1_1", "1_2"]
    assert network.stats(post)["comments"] == 2

    path = str(tmp_path / "sandbox.sqlite3")
    first = Network(path=path, seed=1)
    first.add_post("c1", "k1", "hello", [], accepted_at=now - 86400,
                   scripted=[{"author": "Аня", "text": "Класс", "at": now - 60}])
    first.flush()
    again = Network(path=path, seed=1)
    assert [(c["author"], c["text"]) for c in again.comments(again.posts[1])] == [("Аня", "Класс")]
    assert again.posts[1]["accepted_at"] == pytest.approx(now - 86400)


@pytest.mark.parametrize("body", [
    {"text": "no key"}, {"key": "k", "text": " "}, {"key": "k", "text": "x", "accepted_at": "yesterday"},
    {"key": "k", "text": "x", "accepted_at": time.time() + 3600},
    {"key": "k", "text": "x", "comments": [{"author": "", "text": "x", "at": time.time()}]},
    {"key": "k", "text": "x", "accepted_at": 1000.0, "comments": [{"author": "a", "text": "x", "at": 10}]},
    {"key": "k", "text": "x", "comments": ["just text"]},
    # answers must name an earlier customer comment by its index in the list
    {"key": "k", "text": "x", "accepted_at": 1000.0, "comments": [
        {"author": "a", "text": "x", "at": 1010}, {"from_channel": True, "text": "y", "at": 1020}]},
    {"key": "k", "text": "x", "accepted_at": 1000.0, "comments": [
        {"author": "a", "text": "x", "at": 1010},
        {"from_channel": True, "text": "y", "at": 1020, "reply_to": 5}]},
    {"key": "k", "text": "x", "accepted_at": 1000.0, "comments": [
        {"author": "a", "text": "x", "at": 1010},
        {"from_channel": True, "text": "y", "at": 1005, "reply_to": 0}]},
    {"key": "k", "text": "x", "accepted_at": 1000.0, "comments": [
        {"from_channel": True, "text": "y", "at": 1020, "reply_to": 1},
        {"from_channel": True, "text": "z", "at": 1030, "reply_to": 0}]},
])
def test_it_refuses_an_invalid_history(app: SandboxApp, network: Network, body: dict[str, Any]) -> None:
    (answer,) = run(app, ("POST", "/_admin/channels/c1/posts", body))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid"
    assert network.posts == {}
