"""The VK reads at the HTTP seam (respx), with the response shapes of VK's method pages."""

from __future__ import annotations

import httpx
import pytest
import respx

from kosmmos.connectors import ratelimit
from kosmmos.connectors.base import AuthRevoked
from kosmmos.giveaways.network import Reader

API = "https://api.vk.com/method/"


@pytest.fixture(autouse=True)
def _fresh_buckets() -> None:
    ratelimit.reset()


def _reader() -> Reader:
    return Reader(network="vk", token="service-token", sleep=lambda _s: None)


@respx.mock
def test_it_pages_likes_by_a_thousand_and_retries_too_many_requests() -> None:
    pages = [{"error": {"error_code": 6, "error_msg": "Too many requests per second"}},
             {"response": {"count": 1500, "items": list(range(1, 1001))}},
             {"response": {"count": 1500, "items": list(range(1001, 1501))}}]
    route = respx.get(API + "likes.getList").mock(
        side_effect=[httpx.Response(200, json=p) for p in pages])
    reader = _reader()
    assert reader.likers("-1", "5") == set(range(1, 1501))
    sent = route.calls[-1].request.url.params
    assert (sent["type"], sent["owner_id"], sent["item_id"], sent["filter"]) == (
        "post", "-1", "5", "likes")
    assert (sent["offset"], sent["count"], sent["v"]) == ("1000", "1000", "5.199")
    assert reader.retries == 1


@respx.mock
def test_it_reads_comments_and_checks_membership_in_batches_of_500() -> None:
    respx.get(API + "wall.getComments").mock(return_value=httpx.Response(200, json={
        "response": {"count": 2, "items": [{"id": 1, "from_id": 7, "text": "хочу!"},
                                           {"id": 2, "from_id": -5, "text": "сообщество"}]}}))

    def member(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in request.url.params["user_ids"].split(",")]
        assert len(ids) <= 500
        return httpx.Response(200, json={"response": [{"member": int(i % 2 == 0), "user_id": i}
                                                      for i in ids]})

    route = respx.get(API + "groups.isMember").mock(side_effect=member)
    reader = _reader()
    assert reader.comments("-1", "5") == {7: ["хочу!"]}  # a community's comment is not a person
    assert reader.members("1", list(range(1, 1201))) == set(range(2, 1201, 2))
    assert route.call_count == 3


@respx.mock
def test_it_stops_on_a_revoked_token() -> None:
    respx.get(API + "likes.getList").mock(return_value=httpx.Response(200, json={
        "error": {"error_code": 5, "error_msg": "User authorization failed"}}))
    with pytest.raises(AuthRevoked):
        _reader().likers("-1", "5")


