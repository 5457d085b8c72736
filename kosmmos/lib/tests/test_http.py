from __future__ import annotations

import socket

import httpx
import pytest
import respx

from kosmmos.lib import http


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "data:text/html,x", "ftp://example.org/", "http://127.0.0.1/",
    "http://10.1.2.3/", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "https:///x",
])
def test_it_refuses_unsafe_urls(url: str) -> None:
    with pytest.raises(http.UnsafeUrl):
        http.check_public_url(url, resolve=False)


def test_it_refuses_names_that_resolve_inside_and_lets_unresolvable_targets_pass(monkeypatch) -> None:
    def fake_getaddrinfo(host: str, *_: object) -> list[tuple[object, ...]]:
        if host == "intranet.example":
            return [(socket.AF_INET, 0, 0, "", ("192.168.1.5", 0))]
        raise socket.gaierror("no such host")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(http.UnsafeUrl, match="not public"):
        http.check_public_url("https://intranet.example/", resolve=True)
    with pytest.raises(http.UnsafeUrl, match="does not resolve"):
        http.check_public_url("https://typo.example/", resolve=True)
    assert http.check_public_url("https://typo.example/", resolve=True, must_resolve=False)


@respx.mock
def test_it_tells_a_request_that_never_left_from_one_that_may_have_arrived() -> None:
    respx.post("https://api.example/connect").mock(side_effect=httpx.ConnectError("refused"))
    respx.post("https://api.example/read").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(http.HttpError) as never:
        http.post("https://api.example/connect")
    with pytest.raises(http.HttpError) as maybe:
        http.post("https://api.example/read")
    assert never.value.maybe_sent is False
    assert maybe.value.maybe_sent is True and maybe.value.timeout is True


@respx.mock
def test_it_keeps_no_cookies_between_api_calls() -> None:
    first = respx.get("https://api.example.test/a").mock(return_value=httpx.Response(
        200, json={}, headers={"Set-Cookie": "session=abc; Path=/"}))
    second = respx.get("https://api.example.test/b").mock(return_value=httpx.Response(200, json={}))
    assert http.get("https://api.example.test/a").status_code == 200
    http.get("https://api.example.test/b")
    assert first.called and "cookie" not in second.calls.last.request.headers
    assert len(http.client().cookies.jar) == 0
