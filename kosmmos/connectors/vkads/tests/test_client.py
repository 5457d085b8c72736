"""The VK Ads client at the HTTP seam: payloads as the documentation shapes them."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from kosmmos.connectors.base import AuthRevoked, ConnectorError, RateLimited
from kosmmos.connectors.vkads.client import Token, VkAdsClient, kopecks
from kosmmos.lib import http

TOKEN = {"access_token": "a1", "token_type": "Bearer", "expires_in": 86400, "refresh_token": "r1"}
DAY = {"items": [{"id": 7, "rows": [
    {"date": "2026-01-01", "base": {"shows": 1000, "clicks": 12, "spent": "150.55", "goals": 2},
     "uniques": {"reach": 800}},
    {"date": "2026-01-02", "base": {"shows": 0, "clicks": 0, "spent": "0", "goals": 0}}],
    "total": {"base": {"shows": 1000, "clicks": 12, "spent": "150.55", "goals": 2}}}]}


class Script:
    """Answers in order; records what was sent."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: httpx.Response) -> None:
        self.answers, self.sent = list(answers), []
        monkeypatch.setattr(http, "request", self)

    def __call__(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.sent.append((method, url, kwargs))
        return self.answers.pop(0)


def _client(**kw: Any) -> VkAdsClient:
    slept: list[float] = []
    client = VkAdsClient("https://ads.vk.test", "cid", "secret", sleep=slept.append, **kw)
    client.slept = slept  # type: ignore[attr-defined]
    return client


def test_it_reads_day_rows_in_kopecks(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(monkeypatch, httpx.Response(200, json=TOKEN), httpx.Response(200, json=DAY))
    rows = _client().day_stats("banners", ["7"], date(2026, 1, 1), date(2026, 1, 2))
    assert [(r.day, r.shows, r.spent_kopecks, r.goals, r.reach) for r in rows] == [
        (date(2026, 1, 1), 1000, 15055, 2, 800), (date(2026, 1, 2), 0, 0, 0, 0)]
    method, url, kwargs = script.sent[1]
    assert (method, url) == ("GET", "https://ads.vk.test/api/v2/statistics/banners/day.json")
    assert kwargs["params"] == {"id": "7", "date_from": "2026-01-01", "date_to": "2026-01-02",
                                "metrics": "base,uniques"}
    assert kwargs["headers"] == {"Authorization": "Bearer a1"}
    assert script.sent[0][2]["data"]["grant_type"] == "client_credentials"


def test_it_retries_a_read_after_503_and_429_within_the_call(
        monkeypatch: pytest.MonkeyPatch) -> None:
    Script(monkeypatch, httpx.Response(503, text="busy"),
           httpx.Response(429, headers={"Retry-After": "2"}, text="slow"),
           httpx.Response(200, json={"items": []}))
    client = _client(token=Token("a1", "r1", 86400))
    assert client.day_stats("ad_plans", ["1"], date(2026, 1, 1), date(2026, 1, 1)) == []
    assert client.slept == [0.5, 2.0]  # type: ignore[attr-defined]


def test_it_gives_up_after_its_tries_and_never_retries_a_write(
        monkeypatch: pytest.MonkeyPatch) -> None:
    Script(monkeypatch, *[httpx.Response(503, text="busy")] * 3)
    with pytest.raises(ConnectorError) as failed:
        _client(token=Token("a1", "r1", 86400)).objects("ad_plans")
    assert failed.value.code == 503 and not failed.value.permanent
    script = Script(monkeypatch, httpx.Response(503, text="busy"))
    with pytest.raises(ConnectorError):
        _client(token=Token("a1", "r1", 86400)).create_list("x", b"id\n1\n")
    assert len(script.sent) == 1
    Script(monkeypatch, httpx.Response(429, headers={"Retry-After": "60"}, text="slow"))
    with pytest.raises(RateLimited) as limited:
        _client(token=Token("a1", "r1", 86400)).objects("ad_plans")
    assert limited.value.retry_after == 60  # the job's row waits, not the worker


def test_it_refreshes_on_401_then_reports_a_refused_credential(
        monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(monkeypatch, httpx.Response(401, text="expired"),
                    httpx.Response(200, json={**TOKEN, "access_token": "a2"}),
                    httpx.Response(200, json={"count": 0, "items": []}))
    client = _client(token=Token("a1", "r1", 86400))
    assert client.objects("ad_plans") == [] and client.token.access == "a2"  # type: ignore[union-attr]
    assert script.sent[1][2]["data"]["grant_type"] == "refresh_token"
    Script(monkeypatch, httpx.Response(401, json={"error": "invalid_client"}))
    with pytest.raises(AuthRevoked):
        _client().obtain()


@pytest.mark.parametrize("value", ["abc", "-1", "1e40", "NaN", [1]])
def test_it_refuses_a_spend_that_is_not_money(value: Any) -> None:
    with pytest.raises(ConnectorError):
        kopecks(value)


def test_it_refuses_a_row_without_a_date(monkeypatch: pytest.MonkeyPatch) -> None:
    Script(monkeypatch, httpx.Response(200, json={"items": [{"id": 1, "rows": [{"base": {}}]}]}))
    with pytest.raises(ConnectorError):
        _client(token=Token("a1", "r1", 86400)).day_stats("banners", ["1"], date(2026, 1, 1),
                                                           date(2026, 1, 1))
