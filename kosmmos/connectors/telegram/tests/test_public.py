"""A channel's public preview (t.me/s/<channel>) and TGStat post search, at the HTTP seam."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx

from kosmmos.connectors import public
from kosmmos.connectors.base import ConnectorError
from kosmmos.connectors.telegram.public import number, parse_preview

HERE = Path(__file__).parent
HTML = (HERE / "fixtures" / "preview_s_channel.html").read_text(encoding="utf-8")


def test_it_reads_numbers_as_the_preview_shows_them() -> None:
    assert [number(t) for t in ("1.2K", "987", "3,4M", "12 345", "")] == [
        1200, 987, 3400000, 12345, 0]


def test_it_parses_the_preview_page() -> None:
    snap = parse_preview("kbeauty", HTML)
    assert snap.name == "Корейская косметика" and snap.followers == 12300
    assert [p.external_id for p in snap.posts] == ["101", "102"]
    first = snap.posts[0]
    assert first.text == "Новая коллекция!\nСкидка 20% до воскресенья & подарки"
    assert first.views == 1200 and first.format == public.PHOTO
    assert first.url == "https://t.me/kbeauty/101"
    assert first.published_at == datetime(2026, 12, 1, 10, 15, tzinfo=UTC)


def test_it_survives_a_page_that_changed() -> None:
    snap = parse_preview("x", "<div class='tgme_widget_message' data-post='x/1'><time>")
    assert snap.posts == [] and snap.followers is None


@respx.mock
def test_it_fetches_the_preview_and_refuses_a_private_channel() -> None:
    respx.get("https://t.me/s/kbeauty").mock(return_value=httpx.Response(200, text=HTML))
    respx.get("https://t.me/s/closed").mock(return_value=httpx.Response(
        302, headers={"Location": "https://t.me/closed"}))
    assert public.read("telegram", "kbeauty", {}).followers == 12300
    with pytest.raises(ConnectorError) as caught:
        public.read("telegram", "closed", {})
    assert caught.value.permanent


@respx.mock
def test_it_searches_tgstat_only_with_a_token() -> None:
    # http://api.tgstat.ru/docs/ru/posts/search.html: {"status": "ok", "response": {"count",
    # "total_count", "items": [{"id", "date", "views", "link", "channel_id", "text", ...}]}}
    route = respx.get("https://api.tgstat.ru/posts/search").mock(return_value=httpx.Response(
        200, json={"status": "ok", "response": {"count": 1, "total_count": 1, "items": [{
            "id": 1234567, "date": 1764590400, "views": 310, "link": "t.me/somechan/55",
            "channel_id": 42, "is_deleted": 0, "text": "Кто пробовал Корейскую косметику?"}]}}))
    since = datetime(2026, 12, 1, tzinfo=UTC)
    assert public.search("telegram", "Корейская косметика", {}, since) == []
    found = public.search("telegram", "Корейская косметика", {"tgstat_token": "t0k"}, since)
    assert route.calls[0].request.url.params["q"] == "Корейская косметика"
    assert route.calls[0].request.url.params["startDate"] == str(int(since.timestamp()))
    assert [(f.external_id, f.author) for f in found] == [("1234567", "42")]
    assert found[0].url == ""  # not an https link: not linked


@respx.mock
def test_it_reports_a_tgstat_error() -> None:
    respx.get("https://api.tgstat.ru/posts/search").mock(return_value=httpx.Response(
        401, json={"status": "error", "error": "wrong token"}))
    with pytest.raises(ConnectorError) as caught:
        public.search("telegram", "x", {"tgstat_token": "bad"}, datetime(2026, 1, 1, tzinfo=UTC))
    assert caught.value.permanent and "wrong token" in caught.value.message
