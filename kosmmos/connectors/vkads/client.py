"""The VK Ads API client: OAuth2 tokens, the cabinet's objects, daily statistics, remarketing
lists. One error type (``connectors.base``): 401 → ``AuthRevoked`` once a fresh token is refused
too, 429 → ``RateLimited``, 5xx and transport failures → transient ``ConnectorError``, other 4xx →
permanent.

What each call follows (checked with the search tool on 2026-12-05; see the README section
"VK Ads (#25)" for what could and could not be confirmed):

- Tokens: https://ads.vk.com/en/doc/api/info/Authorization — ``POST /api/v2/oauth2/token.json``
  (form-urlencoded) with ``grant_type=client_credentials`` (own cabinet) or
  ``agency_client_credentials`` + ``agency_client_id`` (a client of an agency), and
  ``refresh_token``; the answer is ``{access_token, expires_in (86400), refresh_token}``.
- Statistics: the "Reporting API: Statistics" page of VK Ads' help
  (https://ads.vk.com/en/help/partner/partner_api/partner_statistics_api): ``GET
  /api/v2/statistics/<objects>/day.json`` with ``date_from``, ``date_to`` (inclusive,
  YYYY-MM-DD) and ``id`` (comma-separated), at most 92 days and 200 objects a request; the answer
  is ``items[{id, rows[{date, …metrics}], total}]``. The advertiser objects ``ad_plans``,
  ``ad_groups``, ``banners`` and the metric groups ``base`` (``shows``, ``clicks``, ``spent``,
  ``goals``) and ``uniques`` (``reach``) follow the same engine's statistics v2 (myTarget
  "stat-v2"); the advertiser page itself (https://ads.vk.com/doc/api/info/Statistics) was not in
  the searchable corpora, so these names are marked unverified there.
- Remarketing lists: https://ads.vk.com/en/doc/api/info/Authorization's API family, facts §5:
  ``POST /api/v3/remarketing/users_lists.json`` (multipart ``file`` CSV, ``name``, ``type=vk``),
  ``DELETE /api/v3/remarketing/users_lists/{id}.json``. The file limit (20 MB) and numeric VK ids
  follow VK's help page https://vk.ru/faq12114.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from kosmmos.connectors.base import AuthRevoked, ConnectorError, RateLimited
from kosmmos.lib import http

LEVELS = ("ad_plans", "ad_groups", "banners")
MAX_DAYS = 92  # days in one statistics request (Reporting API: Statistics)
MAX_IDS = 200  # objects in one statistics request (same page)
FILE_MAX_BYTES = 20 * 2**20  # a remarketing file (vk.ru/faq12114)
PAGE = 250  # objects per listing page
TIMEOUT = 30.0
RETRIES = 2  # more tries of a read within one call
BACKOFF_S = 0.5  # before the second try of a read after a 5xx; doubled for the third
WAIT_MAX = 5.0  # a longer Retry-After goes back to the job (its row waits, not the worker)


@dataclass(frozen=True)
class Token:
    access: str
    refresh: str
    expires_in: int


@dataclass(frozen=True)
class AdObject:
    level: str
    id: str
    name: str
    parent_id: str = ""
    url: str = ""


@dataclass(frozen=True)
class DayRow:
    level: str
    id: str
    day: date
    shows: int
    clicks: int
    spent_kopecks: int
    goals: int
    reach: int


def kopecks(value: Any) -> int:
    """``spent`` as the API writes it ("123.45" roubles) in whole kopecks; bad values are an
    error, never a silent zero."""
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation as exc:
        raise ConnectorError(f"spent is not a number: {str(value)[:40]!r}", permanent=True) from exc
    if not amount.is_finite() or amount < 0 or amount > Decimal(10) ** 12:
        raise ConnectorError(f"spent out of range: {str(value)[:40]!r}", permanent=True)
    return int((amount * 100).quantize(Decimal(1)))


def _count(value: Any) -> int:
    try:
        number = int(value or 0)
    except (TypeError, ValueError) as exc:
        raise ConnectorError(f"a count is not a number: {str(value)[:40]!r}", permanent=True) from exc
    return max(0, min(number, 10**15))


def windows(start: date, end: date, days: int = MAX_DAYS) -> Iterator[tuple[date, date]]:
    while start <= end:
        last = min(end, start + timedelta(days=days - 1))
        yield start, last
        start = last + timedelta(days=1)


def chunks(ids: list[str], size: int = MAX_IDS) -> Iterator[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def segment_files(ids: Iterable[str], limit: int = FILE_MAX_BYTES) -> Iterator[bytes]:
    """The CSV files of one segment (header ``id``, one VK id a line), each within ``limit``."""
    header = b"id\n"
    parts: list[bytes] = [header]
    size = len(header)
    for vk_id in ids:
        line = vk_id.encode() + b"\n"
        if size + len(line) > limit and len(parts) > 1:
            yield b"".join(parts)
            parts, size = [header], len(header)
        parts.append(line)
        size += len(line)
    if len(parts) > 1:
        yield b"".join(parts)


class VkAdsClient:
    """One cabinet. ``token`` is the current access token (``None``: get one first)."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, *,
                 agency_client_id: str = "", token: Token | None = None,
                 retries: int = RETRIES, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base = base_url.rstrip("/")
        self.retries, self.sleep = retries, sleep
        self.client_id, self.client_secret = client_id, client_secret
        self.agency_client_id = agency_client_id
        self.token = token
        self.refreshed = False  # set when a call got a new token (the caller stores it)

    # --- tokens (Authorization page) --------------------------------------------------------

    def obtain(self) -> Token:
        """A new token: client credentials, or an agency's for its client's cabinet."""
        data = {"client_id": self.client_id, "client_secret": self.client_secret,
                "grant_type": "client_credentials"}
        if self.agency_client_id:
            data.update(grant_type="agency_client_credentials",
                        agency_client_id=self.agency_client_id)
        return self._token_call(data)

    def refresh(self) -> Token:
        if self.token is None or not self.token.refresh:
            return self.obtain()
        try:
            return self._token_call({"client_id": self.client_id,
                                     "client_secret": self.client_secret,
                                     "grant_type": "refresh_token",
                                     "refresh_token": self.token.refresh})
        except AuthRevoked:
            return self.obtain()  # a refresh token past its life: the credentials still work

    def _token_call(self, data: dict[str, str]) -> Token:
        response = self._send("POST", "/api/v2/oauth2/token.json", data=data, auth=False)
        body = self._json(response)
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ConnectorError("the token answer has no access_token", permanent=True)
        self.token = Token(access=access, refresh=str(body.get("refresh_token") or ""),
                           expires_in=_count(body.get("expires_in")) or 86400)
        self.refreshed = True
        return self.token

    # --- plumbing ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        """One call. Reads (and token requests, which change nothing) are tried up to
        ``1 + retries`` times on 429 (waiting its Retry-After up to ``WAIT_MAX``), 5xx and
        transport failures; a write is tried once (its caller reconciles)."""
        safe = method == "GET" or path.endswith("/oauth2/token.json")
        tries = 1 + (self.retries if safe else 0)
        for attempt in range(tries):
            try:
                return self._once(method, path, auth, **kwargs)
            except RateLimited as exc:
                if attempt + 1 == tries or exc.retry_after > WAIT_MAX:
                    raise
                self.sleep(exc.retry_after)
            except AuthRevoked:
                raise
            except ConnectorError as exc:
                if exc.permanent or attempt + 1 == tries:
                    raise
                self.sleep(BACKOFF_S * 2 ** attempt)
        raise AssertionError("not reached")

    def _once(self, method: str, path: str, auth: bool, **kwargs: Any) -> httpx.Response:
        if auth and self.token is None:
            self.obtain()
        elif auth and self.token is not None and not self.token.access:
            self.refresh()
        response = self._request(method, path, auth, **kwargs)
        if response.status_code == 401 and auth:
            self.refresh()  # the 24-hour token ran out: one refresh, then the call once more
            response = self._request(method, path, auth, **kwargs)
        return self._check(response)

    def _request(self, method: str, path: str, auth: bool, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token.access}"} if auth and self.token else {}
        try:
            return http.request(method, self.base + path, headers=headers, timeout=TIMEOUT,
                                **kwargs)
        except http.HttpError as exc:
            raise ConnectorError(str(exc)) from exc

    @staticmethod
    def _check(response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status < 400:
            return response
        text = response.text[:300]
        if status == 429:
            try:
                wait = float(response.headers.get("Retry-After", "5"))
            except ValueError:
                wait = 5.0
            raise RateLimited(f"HTTP 429: {text}", retry_after=max(1.0, min(wait, 3600.0)),
                              code=429)
        if status in (401, 403):
            raise AuthRevoked(f"HTTP {status}: {text}", code=status)
        if status >= 500:
            raise ConnectorError(f"HTTP {status}: {text}", code=status)
        raise ConnectorError(f"HTTP {status}: {text}", permanent=True, code=status)

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise ConnectorError("the answer is not JSON") from exc
        if not isinstance(body, dict):
            raise ConnectorError("the answer is not a JSON object")
        return body

    # --- the cabinet's objects --------------------------------------------------------------

    def objects(self, level: str) -> list[AdObject]:
        """Every campaign (ad_plans), ad group or banner, paged with ``limit``/``offset``.
        ``GET /api/v2/<level>.json?fields=…`` (unverified field names: ``ad_plan_id``,
        ``ad_group_id``, banners' ``urls.primary.url``)."""
        fields = {"ad_plans": "id,name", "ad_groups": "id,name,ad_plan_id",
                  "banners": "id,name,ad_group_id,urls"}[level]
        found: list[AdObject] = []
        offset = 0
        while True:
            body = self._json(self._send("GET", f"/api/v2/{level}.json", params={
                "fields": fields, "limit": PAGE, "offset": offset}))
            items = body.get("items")
            if not isinstance(items, list):
                raise ConnectorError(f"{level}: no items list")
            for item in items:
                if isinstance(item, dict) and item.get("id") is not None:
                    found.append(_object(level, item))
            offset += len(items)
            if not items or offset >= _count(body.get("count")):
                return found

    # --- statistics (Reporting API: Statistics) ---------------------------------------------

    def day_stats(self, level: str, ids: list[str], start: date, end: date) -> list[DayRow]:
        """Daily rows of ``ids`` from ``start`` to ``end`` inclusive, in requests of at most
        92 days and 200 ids. A day without activity may be absent or all zeros."""
        if level not in LEVELS:
            raise ValueError(level)
        rows: list[DayRow] = []
        for first, last in windows(start, end):
            for part in chunks(ids):
                body = self._json(self._send("GET", f"/api/v2/statistics/{level}/day.json",
                                             params={"id": ",".join(part),
                                                     "date_from": first.isoformat(),
                                                     "date_to": last.isoformat(),
                                                     "metrics": "base,uniques"}))
                for item in body.get("items") or []:
                    rows.extend(_rows(level, item))
        return rows

    # --- remarketing lists -------------------------------------------------------------------

    def create_list(self, name: str, content: bytes) -> str:
        """Upload one CSV of VK ids; returns the list id."""
        if len(content) > FILE_MAX_BYTES:
            raise ConnectorError("the file is over 20 MB", permanent=True)
        body = self._json(self._send("POST", "/api/v3/remarketing/users_lists.json",
                                     data={"name": name[:200], "type": "vk"},
                                     files={"file": ("segment.csv", content, "text/csv")}))
        if body.get("id") is None:
            raise ConnectorError("the list answer has no id", permanent=True)
        return str(body["id"])

    def find_list(self, name: str) -> str | None:
        """The id of the cabinet's list called ``name``, if any: the look-up before re-sending
        an upload whose outcome is unknown (``GET /api/v3/remarketing/users_lists.json``)."""
        offset = 0
        while True:
            body = self._json(self._send("GET", "/api/v3/remarketing/users_lists.json",
                                         params={"limit": PAGE, "offset": offset}))
            items = body.get("items")
            if not isinstance(items, list) or not items:
                return None
            for item in items:
                if isinstance(item, dict) and item.get("name") == name[:200]:
                    return str(item.get("id"))
            offset += len(items)
            if offset >= _count(body.get("count")):
                return None

    def delete_list(self, list_id: str) -> None:
        """Delete a list; one already gone (404) counts as deleted."""
        if not list_id.isdigit():
            raise ConnectorError("not a list id", permanent=True)
        try:
            self._send("DELETE", f"/api/v3/remarketing/users_lists/{list_id}.json")
        except ConnectorError as exc:
            if exc.code != 404:
                raise


def _object(level: str, item: dict[str, Any]) -> AdObject:
    parent = item.get("ad_plan_id") if level == "ad_groups" else item.get("ad_group_id")
    url = ""
    urls = item.get("urls")
    if isinstance(urls, dict):
        primary = urls.get("primary")
        if isinstance(primary, dict) and isinstance(primary.get("url"), str):
            url = primary["url"][:2000]
    return AdObject(level=level, id=str(item["id"])[:40], name=str(item.get("name") or "")[:200],
                    parent_id=str(parent)[:40] if parent is not None else "", url=url)


def _rows(level: str, item: Any) -> Iterator[DayRow]:
    if not isinstance(item, dict) or item.get("id") is None:
        return
    for row in item.get("rows") or []:
        if not isinstance(row, dict):
            continue
        try:
            day = date.fromisoformat(str(row.get("date")))
        except ValueError as exc:
            raise ConnectorError(f"a row without a date: {str(row)[:80]}", permanent=True) from exc
        base = row.get("base")
        base = base if isinstance(base, dict) else {}
        uniques = row.get("uniques")
        uniques = uniques if isinstance(uniques, dict) else {}
        yield DayRow(level=level, id=str(item["id"])[:40], day=day,
                     shows=_count(base.get("shows")), clicks=_count(base.get("clicks")),
                     spent_kopecks=kopecks(base.get("spent")), goals=_count(base.get("goals")),
                     reach=_count(uniques.get("reach")))
