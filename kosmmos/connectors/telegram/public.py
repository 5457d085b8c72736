"""Public reads of a Telegram channel without a bot (bots cannot read channels they do not
administer: facts §2).

- ``https://t.me/s/<channel>``: the public web preview, undocumented HTML. The selectors are the
  ones public scrapers use (unverified; a change there is a parse error, never a crash):
  ``div.tgme_widget_message[data-post="chan/ID"]``, ``.tgme_widget_message_text``,
  ``span.tgme_widget_message_views`` ("1.2K"), ``.tgme_widget_message_date time[datetime]``,
  ``.tgme_channel_info_counter`` ("12.3K subscribers").
- TGStat ``posts/search`` (http://api.tgstat.ru/docs/ru/posts/search.html) with the agency's
  token: ``q``, ``startDate``, ``limit`` → ``{"status": "ok", "response": {"items": [...]}}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from kosmmos.connectors import public
from kosmmos.connectors.base import ConnectorError, RateLimited
from kosmmos.lib import http

PREVIEW = "https://t.me/s/"
TGSTAT = "https://api.tgstat.ru/"
SEARCH_LIMIT = 50


def number(text: str) -> int:
    """'1.2K' → 1200, '3,4M' → 3400000, '987' → 987."""
    found = re.search(r"(\d+(?:[.,]\d+)?)\s*([KkMm]?)", text.replace("\u00a0", " ").replace(" ", ""))
    if not found:
        return 0
    value = float(found.group(1).replace(",", "."))
    return int(value * {"k": 1000, "m": 1_000_000}.get(found.group(2).lower(), 1))


class PreviewParser(HTMLParser):
    """Collects the messages and the subscriber counter of a t.me/s page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.followers: int | None = None
        self.posts: list[dict[str, Any]] = []
        self._field = ""
        self._depth = 0
        self._counter_type = ""
        self._in_counter = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if "tgme_widget_message" in classes and found.get("data-post"):
            self.posts.append({"ref": found["data-post"], "text": "", "views": 0, "date": "",
                               "media": ""})
        if not self.posts and "tgme_channel_info_header_title" in classes:
            self._field, self._depth = "title", 0
        if "tgme_channel_info_counter" in classes:
            self._in_counter = "yes"
        if self._in_counter and "counter_value" in classes:
            self._field = "counter_value"
        if self._in_counter and "counter_type" in classes:
            self._field = "counter_type"
        if self.posts:
            post = self.posts[-1]
            if "tgme_widget_message_text" in classes:
                self._field, self._depth = "text", 0
            elif "tgme_widget_message_views" in classes:
                self._field = "views"
            elif tag == "time" and found.get("datetime"):
                post["date"] = found["datetime"]
            elif "tgme_widget_message_video_player" in classes:
                post["media"] = post["media"] or public.VIDEO
            elif "tgme_widget_message_photo_wrap" in classes:
                post["media"] = post["media"] or public.PHOTO
            elif "tgme_widget_message_poll" in classes:
                post["media"] = public.POLL
        if self._field in ("text", "title") and tag in ("div", "span", "a", "b", "i"):
            self._depth += 1
        if self._field == "text" and tag == "br":
            self.posts[-1]["text"] += "\n"

    def handle_endtag(self, tag: str) -> None:
        if self._field in ("text", "title") and tag in ("div", "span", "a", "b", "i"):
            self._depth -= 1
            if self._depth <= 0:
                self._field = ""
        elif self._field in ("views", "counter_value", "counter_type"):
            self._field = ""
        if tag == "div" and self._in_counter and not self._field:
            self._in_counter = "" if self._counter_type else self._in_counter

    def handle_data(self, data: str) -> None:
        if self._field == "text":
            self.posts[-1]["text"] += data
        elif self._field == "title":
            self.title += data
        elif self._field == "views" and self.posts:
            self.posts[-1]["views"] = number(data)
        elif self._field == "counter_value":
            self._counter_type = ""
            self._pending = number(data)
        elif self._field == "counter_type":
            self._counter_type = data.strip().lower()
            if self._counter_type in ("subscribers", "subscriber", "members", "подписчиков",
                                      "подписчика", "подписчик", "участников"):
                self.followers = getattr(self, "_pending", None)
            self._in_counter = ""


def parse_preview(channel: str, html: str) -> public.Snapshot:
    parser = PreviewParser()
    parser.feed(html)
    posts: list[public.PublicPost] = []
    for item in parser.posts:
        ref = str(item["ref"])
        name, _, pid = ref.partition("/")
        if not pid.isdigit() or not item["date"]:
            continue
        try:
            when = datetime.fromisoformat(str(item["date"]))
        except ValueError:
            continue
        posts.append(public.PublicPost(
            external_id=pid, published_at=when if when.tzinfo else when.replace(tzinfo=UTC),
            text=str(item["text"]).strip(), url=f"https://t.me/{name}/{pid}",
            format=str(item["media"] or public.TEXT), views=int(item["views"])))
    return public.Snapshot(external_id=channel, name=parser.title.strip() or channel,
                           url=f"https://t.me/{channel}", followers=parser.followers, posts=posts)


def read(handle: str, keys: Mapping[str, str]) -> public.Snapshot:
    public.take_slot("telegram", "t.me")
    try:
        response = http.get(PREVIEW + handle)
    except http.HttpError as exc:
        raise ConnectorError(f"t.me/s/{handle}: {exc}") from exc
    if response.status_code == 429:
        raise RateLimited(f"t.me/s/{handle}: HTTP 429", retry_after=60)
    if response.status_code >= 500:
        raise ConnectorError(f"t.me/s/{handle}: HTTP {response.status_code}")
    if response.status_code != 200 or "tgme_channel_info" not in response.text:
        raise ConnectorError(f"Telegram shows no public preview of @{handle} (a private "
                             "channel, a group or a wrong name).", permanent=True)
    return parse_preview(handle, response.text)


def can_search(keys: Mapping[str, str]) -> bool:
    return bool(keys.get("tgstat_token"))


def search(query: str, keys: Mapping[str, str], since: datetime) -> list[public.Found]:
    token = keys.get("tgstat_token", "")
    if not token:
        return []
    public.take_slot("tgstat", token)
    try:
        response = http.get(TGSTAT + "posts/search", params={
            "token": token, "q": query, "startDate": int(since.timestamp()),
            "limit": SEARCH_LIMIT, "peerType": "channel"})
    except http.HttpError as exc:
        raise ConnectorError(f"TGStat posts/search: {exc}") from exc
    try:
        body = response.json()
    except ValueError as exc:
        raise ConnectorError(f"TGStat posts/search: HTTP {response.status_code}, not JSON") from exc
    if not isinstance(body, dict) or body.get("status") != "ok":
        error = body.get("error") if isinstance(body, dict) else ""
        raise ConnectorError(f"TGStat posts/search: {error or 'no answer'}",
                             permanent=response.status_code in (401, 403))
    found: list[public.Found] = []
    for item in (body.get("response") or {}).get("items", []):
        if not isinstance(item, dict) or "id" not in item:
            continue
        link = str(item.get("link") or "")
        found.append(public.Found(
            network="telegram", external_id=str(item["id"]),
            published_at=datetime.fromtimestamp(int(item.get("date") or 0), tz=UTC),
            text=str(item.get("text") or ""), url=link if link.startswith("https://") else "",
            author=str(item.get("channel_id") or ""), raw={"views": item.get("views")}))
    return found
