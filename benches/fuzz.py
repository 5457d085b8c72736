"""``kosmmos bench fuzz``: generated hostile requests across every public door of a running
``kosmmos serve``; no answer may be a 5xx, no traceback may reach the log, and every good item
sent among them must be stored exactly once.

Set-up (not timed): a temporary ``KOSMMOS_VAR`` (SQLite) with the demo loaded, a VK channel
with a Callback API secret, a Telegram channel with a webhook secret, the workspace's money keys,
a short link, an approval link, a proposal and an API token. Then ``kosmmos serve`` (web +
redirect, no worker: the doors, not the jobs, are under test) with its output in a log file.

``--requests N`` requests (100,000 by default) from ``--clients`` threads with keep-alive
connections, chosen at random (seeded) among: the VK and Telegram webhooks (hostile bodies
with the right secret, a few with a wrong one), the signed postback, the site snippet's collect,
the brief form (with its CSRF cookie), the redirect service, the approval and proposal links,
and the JSON API (hostile bodies, cursors and dates). One request in ``GOOD_EVERY`` is a good
item instead: a VK comment, a Telegram comment or a signed purchase, each with a new id, and one
in three of those is delivered twice (as a network retries). Hostile input: nesting thousands
deep, lone surrogates, NUL, 5,000-digit numbers, 1e400, NaN, timestamps in milliseconds and in
year 10000, huge strings, right-to-left and zero-width characters, wrong JSON types, bytes that
are not UTF-8, broken URLs and headers.

Output (``--json``): ``requests``, ``server_errors`` (answers ≥ 500 and dropped connections),
``tracebacks`` (in the serve log), ``good_sent``, ``good_stored``, ``good_duplicated`` (good
items stored more than once), with the time it took and the answers by status.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

from benches.common import free_port, kosmmos, wait_healthy, with_root_on_path

GOOD_EVERY = 20
VK_GROUP = "200100"
TG_CHANNEL, TG_GROUP = "-1002000000000", "-1002000000001"

SETUP = """
import json, django
django.setup()
from datetime import timedelta
from django.utils import timezone
from kosmmos.accounts.models import Membership, Workspace
from kosmmos.api.tokens import issue_token
from kosmmos.content.models import ApprovalLink
from kosmmos.inbox.testing import make_channel
from kosmmos.links import actions
from kosmmos.proposals.models import Proposal

ws = Workspace.objects.exclude(organisation__brief_code="").order_by("created_at").first() \\
    or Workspace.objects.order_by("created_at").first()
org = ws.organisation
vk = make_channel(ws, "vk", "-%(vk)s", name="Fuzz VK", config={"vk_confirmation": "fuzzok"},
                  credentials={"vk_secret": "vk-fuzz-secret"})
tg = make_channel(ws, "telegram", "%(tg)s", name="Fuzz Telegram",
                  config={"discussion_chat_id": "%(group)s"},
                  credentials={"bot_token": "1:x", "webhook_secret": "tg-fuzz-secret"})
money = actions.money_settings(ws)
link = actions.create_link(ws, target_url="https://shop.example/new", network="vk")
owner = Membership.objects.filter(organisation=org, role="owner").first() \\
    or Membership.objects.filter(organisation=org).first()
approval = ApprovalLink.objects.create(organisation=org, workspace=ws,
                                       date_from=timezone.localdate(),
                                       date_to=timezone.localdate() + timedelta(days=30))
proposal = Proposal.objects.filter(organisation=org).first()
print(json.dumps({
    "workspace": str(ws.pk), "vk_hook": vk.inbox.code, "tg_hook": tg.inbox.code,
    "money_key": money.public_key, "postback_secret": money.postback_secret,
    "link": link.code, "brief": org.brief_code, "approval": approval.token,
    "proposal": proposal.token if proposal else "none",
    "api_token": issue_token(owner, name="fuzz")[1],
}))
"""

COUNT = """
import json, sys, django
django.setup()
from collections import Counter
from kosmmos.inbox.models import Item
from kosmmos.links.models import Conversion
ids = json.loads(sys.stdin.read())
items = Counter(Item.objects.filter(external_id__in=ids["items"]).values_list("external_id", flat=True))
orders = Counter(Conversion.objects.filter(event_id__in=ids["orders"]).values_list("event_id", flat=True))
both = items + orders
print(json.dumps({"stored": len(both), "duplicated": sum(1 for n in both.values() if n > 1)}))
"""

WEIRD = ["\x00", "\ud800", "\udfff", "\u202e", "\u200b", "\u200d", "\ufeff", "\u2028", "\r\n",
         "😀", "ﷺ", "'\"<>&", "%00", "Ы"]


# --- hostile values ------------------------------------------------------------------------------


def weird_text(rng: random.Random) -> str:
    # Mostly short, as real comments are; now and then longer than the inbox keeps.
    size = rng.choices([0, 1, 5, 40, 300, 5_000, 120_000], weights=[10, 10, 20, 30, 15, 10, 1])[0]
    if size > 1000:
        return rng.choice(WEIRD) * (size // 2)
    return "".join(rng.choice(WEIRD) if rng.random() < 0.4 else chr(rng.randint(32, 0x2FFF))
                   for _ in range(size))


def weird_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(12 if depth < 3 else 9)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.choice([0, -1, 2**63, -(10**20), 10**39, 1e300, -1e20, 0.5])
    if pick == 3:
        return rng.choice([int(time.time() * 1000), 253402300800, 10**12, -5, 1717000000])
    if pick == 4:
        return rng.choice(["9" * 20, "1e300", "Infinity", "NaN", "0001-01-01T00:00:00+05:00",
                           "10000-01-01", "9" * 5_000, "http://[::1/", "http://[x"])
    if pick in (5, 6, 7, 8):
        return weird_text(rng)
    if pick in (9, 10):
        return [weird_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {weird_text(rng)[:20]: weird_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def dump(value: Any) -> bytes:
    try:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    except ValueError:
        return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


def raw_body(rng: random.Random) -> bytes:
    return rng.choice([
        lambda: b"[" * rng.randint(100, 20_000),
        lambda: b'{"a":' * rng.randint(100, 3_000),
        lambda: b'{"x": ' + b"9" * 5_000 + b"}",
        lambda: b'{"x": 1e400}',
        lambda: b'{"x": NaN, "y": Infinity}',
        lambda: b'{"x": "\\ud800\\u0000"}',
        lambda: bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))),
        lambda: b"",
        lambda: b"null",
    ])()


def mutate(base: dict[str, Any], rng: random.Random, inner: str) -> bytes:
    if rng.random() < 0.25:
        return raw_body(rng)
    event = json.loads(json.dumps(base))
    target = event[inner] if inner and rng.random() < 0.7 else event
    for key in rng.sample(sorted(target), k=min(len(target), rng.randint(1, 3))):
        target[key] = weird_value(rng)
    if rng.random() < 0.3:
        target[weird_text(rng)[:30] or "x"] = weird_value(rng)
    return dump(event)


# --- the doors -----------------------------------------------------------------------------------


class Doors:
    """Builds one request (method, path, headers, body, port) for a door, hostile or good."""

    def __init__(self, keys: dict[str, Any], web: int, redirect: int) -> None:
        self.k, self.web, self.redirect = keys, web, redirect
        self.lock = threading.Lock()
        self.serial = 0
        self.good_items: list[str] = []
        self.good_orders: list[str] = []
        self.csrf = ("", "")

    def next_id(self) -> int:
        with self.lock:
            self.serial += 1
            return self.serial

    def vk_event(self, obj: dict[str, Any], event_id: str) -> dict[str, Any]:
        return {"type": "wall_reply_new", "event_id": event_id, "v": "5.199", "object": obj,
                "group_id": int(VK_GROUP), "secret": "vk-fuzz-secret"}

    def vk_comment(self, n: int) -> dict[str, Any]:
        return {"id": 10_000_000 + n, "from_id": 123456, "post_id": 77, "owner_id": -int(VK_GROUP),
                "date": int(time.time()), "text": f"Хороший комментарий {n}"}

    def tg_update(self, n: int) -> dict[str, Any]:
        return {"update_id": 20_000_000 + n, "message": {
            "message_id": 20_000_000 + n, "from": {"id": 5551, "is_bot": False, "first_name": "Ольга"},
            "chat": {"id": int(TG_GROUP), "title": "Обсуждение", "type": "supergroup"},
            "date": int(time.time()), "message_thread_id": 40, "text": f"Комментарий {n}"}}

    def signed(self, body: bytes, stamp: str | None = None) -> dict[str, str]:
        ts = stamp or str(int(time.time()))
        mac = hmac.new(self.k["postback_secret"].encode(), ts.encode() + b"." + body, hashlib.sha256)
        return {"Content-Type": "application/json", "X-Kosmmos-Timestamp": ts,
                "X-Kosmmos-Signature": "sha256=" + mac.hexdigest()}

    def good(self, rng: random.Random) -> list[tuple[str, str, dict[str, str], bytes, int]]:
        n = self.next_id()
        kind = rng.randrange(3)
        if kind == 0:
            body = dump(self.vk_event(self.vk_comment(n), f"good-{n}"))
            request = ("POST", f"/hooks/vk/{self.k['vk_hook']}/", {"Content-Type": "application/json"},
                       body, self.web)
            with self.lock:
                self.good_items.append(str(10_000_000 + n))
        elif kind == 1:
            body = dump(self.tg_update(n))
            request = ("POST", f"/hooks/telegram/{self.k['tg_hook']}/",
                       {"Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token": "tg-fuzz-secret"}, body, self.web)
            with self.lock:
                self.good_items.append(f"{TG_GROUP}:{20_000_000 + n}")
        else:
            order = f"fuzz-order-{n}"
            body = dump({"event_id": order, "event": "purchase", "amount": "990.00",
                         "currency": "RUB", "occurred_at": int(time.time())})
            request = ("POST", f"/t/pb/{self.k['money_key']}/", self.signed(body), body, self.web)
            with self.lock:
                self.good_orders.append(order)
        return [request] * (2 if rng.random() < 1 / 3 else 1)

    def hostile(self, rng: random.Random) -> tuple[str, str, dict[str, str], bytes, int]:
        k, web = self.k, self.web
        door = rng.randrange(10)
        json_type = {"Content-Type": "application/json"}
        if door == 0:
            n = self.next_id()
            body = mutate(self.vk_event(self.vk_comment(n), f"bad-{n}"), rng, "object")
            if rng.random() < 0.05:
                body = body.replace(b"vk-fuzz-secret", b"wrong")
            return "POST", f"/hooks/vk/{k['vk_hook']}/", json_type, body, web
        if door == 1:
            body = mutate(self.tg_update(self.next_id() + 5_000_000), rng, "message")
            secret = "tg-fuzz-secret" if rng.random() > 0.05 else "nope"
            return "POST", f"/hooks/telegram/{k['tg_hook']}/", {
                **json_type, "X-Telegram-Bot-Api-Secret-Token": secret}, body, web
        if door == 2:
            base = {"event_id": f"bad-{self.next_id()}", "event": "purchase", "amount": "1.00",
                    "occurred_at": int(time.time())}
            body = mutate(base, rng, "")
            stamp = rng.choice([None, None, "9" * 5_000, "-1", "1e300", str(10**13)])
            return "POST", f"/t/pb/{k['money_key']}/", self.signed(body, stamp), body, web
        if door == 3:
            base = {"event_id": f"c-{self.next_id()}", "event": "lead", "kid": "x"}
            return "POST", f"/t/c/{k['money_key']}/", {"Content-Type": "text/plain",
                                                       "Origin": rng.choice(["", "http://[x", "null"])}, \
                mutate(base, rng, ""), web
        if door == 4:
            token, cookie = self.csrf
            fields = {"csrfmiddlewaretoken": token, "company": weird_text(rng)[:500],
                      "contact_name": weird_text(rng)[:300], "email": rng.choice(
                          ["a@b.ru", weird_text(rng)[:100]]), "kpis": weird_text(rng),
                      "budget_rub": str(weird_value(rng))[:100], "phone": weird_text(rng)[:50]}
            body = urllib.parse.urlencode({a: b.encode("utf-8", "surrogatepass")
                                           for a, b in fields.items()}).encode()
            return "POST", f"/brief/{k['brief']}/", {
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}",
                "Referer": f"http://127.0.0.1:{web}/brief/{k['brief']}/"}, body, web
        if door == 5:
            code = rng.choice([k["link"], k["link"], urllib.parse.quote(
                weird_text(rng)[:200].encode("utf-8", "surrogatepass"), safe="")])
            referer = rng.choice(["http://[x", "https://vk.com/feed", "\x7f" * 10, "a" * 5000])
            return "GET", f"/{code or 'x'}", {"Referer": referer.encode("latin-1", "replace").decode(
                "latin-1").replace("\r", "").replace("\n", "")}, b"", self.redirect
        if door in (6, 7):
            token = rng.choice([k["approval"] if door == 6 else k["proposal"], urllib.parse.quote(
                weird_text(rng)[:100].encode("utf-8", "surrogatepass"), safe="")]) or "x"
            tail = rng.choice(["", "accept/", "changes/", "pdf/"]) if door == 7 else ""
            path = f"/approve/{token}/" if door == 6 else f"/p/{token}/{tail}"
            if rng.random() < 0.5:
                return "GET", path, {}, b"", web
            body = urllib.parse.urlencode({"comment": weird_text(rng)[:3000].encode(
                "utf-8", "surrogatepass"), "decision": weird_text(rng)[:10].encode(
                "utf-8", "surrogatepass")}).encode()
            return "POST", path, {"Content-Type": "application/x-www-form-urlencoded"}, body, web
        auth = {"Authorization": f"Bearer {k['api_token']}"}
        if door == 8:
            body = mutate({"title": "t", "text": "x", "variants": {}, "channels": []}, rng, "")
            return "POST", f"/api/v1/workspaces/{k['workspace']}/posts", {**auth, **json_type}, body, web
        name = rng.choice(["cursor", "from", "to", "limit", "status"])
        value = urllib.parse.quote(str(weird_value(rng)).encode("utf-8", "surrogatepass")[:6000], safe="")
        where = rng.choice(["posts", "inbox"])
        return "GET", f"/api/v1/workspaces/{k['workspace']}/{where}?{name}={value}", auth, b"", web


# --- the run -------------------------------------------------------------------------------------


DOORS = [("/hooks/vk/", "vk webhook"), ("/hooks/telegram/", "telegram webhook"),
         ("/t/pb/", "postback"), ("/t/c/", "collect"), ("/brief/", "brief form"),
         ("/approve/", "approval link"), ("/p/", "proposal link"), ("/api/", "api")]


def _door(path: str, port: int, web: int) -> str:
    if port != web:
        return "redirect"
    return next((name for prefix, name in DOORS if path.startswith(prefix)), "other")


def _send(conns: dict[int, http.client.HTTPConnection], request: tuple[str, str, dict[str, str], bytes, int],
          statuses: Counter[int], timing: Counter[str], web: int) -> None:
    method, path, headers, body, port = request
    door = _door(path, port, web)
    timing[door + " n"] += 1
    started = time.perf_counter()
    try:
        _attempt(conns, method, path, headers, body, port, statuses)
    finally:
        timing[door + " s"] += time.perf_counter() - started  # type: ignore[assignment]


def _attempt(conns: dict[int, http.client.HTTPConnection], method: str, path: str,
             headers: dict[str, str], body: bytes, port: int, statuses: Counter[int]) -> None:
    for attempt in range(2):
        conn = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conns[port] = conn
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            response.read()
            statuses[response.status] += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conns.pop(port, None)
            return
        except (ConnectionError, http.client.HTTPException, OSError):
            conn.close()
            conns.pop(port, None)
            if attempt:
                statuses[0] += 1  # dropped twice: counted as a server error


def _client(doors: Doors, seed: int, count: int, statuses: Counter[int], timing: Counter[str]) -> None:
    rng = random.Random(seed)
    conns: dict[int, http.client.HTTPConnection] = {}
    sent = 0
    while sent < count:
        batch = doors.good(rng) if rng.randrange(GOOD_EVERY) == 0 else [doors.hostile(rng)]
        for request in batch:
            _send(conns, request, statuses, timing, doors.web)
            sent += 1
    for conn in conns.values():
        conn.close()


def _csrf(web: int, code: str) -> tuple[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", web, timeout=30)
    conn.request("GET", f"/brief/{code}/")
    response = conn.getresponse()
    page = response.read().decode("utf-8", "replace")
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    conn.close()
    return (token.group(1) if token else "", cookie.group(1) if cookie else "")


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench fuzz")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seed", type=int, default=12)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kosmmos-fuzz-") as var:
        web, redirect = free_port(), free_port()
        env = with_root_on_path({
            **os.environ, "KOSMMOS_VAR": var, "LINKS_BASE_URL": f"http://127.0.0.1:{redirect}",
            "DJANGO_SETTINGS_MODULE": "kosmmos.settings", "BRIEF_RATE_LIMIT": "1000000",
            "LINKS_COLLECT_RATE_LIMIT": "1000000", "API_RATE_LIMIT_PER_MIN": "1000000",
            "KOSMMOS_RESOLVE_URLS": "0", "LOG_LEVEL": "WARNING"})
        kosmmos("migrate", "--noinput", env=env)
        kosmmos("demo", env=env)
        keys = json.loads(subprocess.run(
            [sys.executable, "-c", SETUP % {"vk": VK_GROUP, "tg": TG_CHANNEL, "group": TG_GROUP}],
            env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        log_path = Path(var) / "serve.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "kosmmos.cli", "serve", "--port", str(web), "--no-worker",
                 "--no-sandbox", "--redirect"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_healthy(f"http://127.0.0.1:{web}/healthz", timeout=90)
            doors = Doors(keys, web, redirect)
            doors.csrf = _csrf(web, keys["brief"])
            statuses: Counter[int] = Counter()
            shares = [opts.requests // opts.clients + (i < opts.requests % opts.clients)
                      for i in range(opts.clients)]
            counters = [Counter[int]() for _ in shares]
            timing: Counter[str] = Counter()
            started = time.monotonic()
            threads = [threading.Thread(target=_client, args=(doors, opts.seed * 1000 + i, n, c, timing))
                       for i, (n, c) in enumerate(zip(shares, counters, strict=True))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            for c in counters:
                statuses.update(c)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        ids = {"items": sorted(set(doors.good_items)), "orders": sorted(set(doors.good_orders))}
        counted = json.loads(subprocess.run(
            [sys.executable, "-c", COUNT], input=json.dumps(ids), env=env, check=True,
            capture_output=True, text=True).stdout.strip().splitlines()[-1])
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
    # The exception line closing each traceback, for whoever has to fix it.
    kinds = Counter(m.group(1)[:160] for m in re.finditer(
        r"Traceback \(most recent call last\):\n(?:[ \t].*\n)*(\S.*)", log_text))
    return {
        "requests": sum(statuses.values()),
        "server_errors": sum(n for status, n in statuses.items() if status >= 500 or status == 0),
        "tracebacks": log_text.count("Traceback (most recent call last)"),
        "good_sent": len(ids["items"]) + len(ids["orders"]),
        "good_stored": counted["stored"],
        "good_duplicated": counted["duplicated"],
        "seconds": round(elapsed, 1),
        "requests_per_s": round(sum(statuses.values()) / elapsed, 1),
        "mean_ms_by_door": {name[:-2]: round(1000 * timing[name] / timing[name[:-2] + " n"], 1)
                            for name in sorted(timing) if name.endswith(" s")},
        "statuses": {str(s): n for s, n in sorted(statuses.items())},
        "traceback_kinds": dict(kinds.most_common(10)),
        "clients": opts.clients,
        "database": "sqlite",
    }
