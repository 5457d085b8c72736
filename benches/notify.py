"""``kosmmos bench notify``: events fanned out to in-app, email, Telegram and webhooks by the real
dispatcher and workers, counted at the receivers.

Organisations of ``--per-org`` members (an owner and managers), every member linked to a chat in
the sandbox's fake Bot API and choosing every channel for every kind; one webhook per
organisation to the sandbox's receiver, which checks each signature. A child process raises
``--events`` events over ``--run-seconds`` (each in its own transaction, as features do); the
Bot API answers 5 % of calls 500 and 5 % 429 with ``retry_after`` 1, the receiver 5 % 500. One
embedded worker is SIGKILLed halfway and restarted by the ``kosmmos serve`` supervisor.

Reported:

- ``deliveries_expected``: events × (members × 3 channels + 1 webhook);
- ``delivered``: in-app rows (the bell reads them), email rows (marked sent in the transaction
  that writes the outbox row), Telegram rows whose message id the fake Bot API holds for that
  chat, webhook deliveries the receiver got (by ``X-Kosmmos-Delivery``);
- ``duplicates``: messages the Bot API holds that no row claims (a send repeated after a
  kill) + webhook deliveries received more than once; ``lost`` = expected − delivered;
- ``inapp_p95_s``: event → its in-app row; ``webhook_p95_s``: event → first receipt;
- ``telegram_rate_violations``: counted by the fake: a chat's message under 1 s after its
  previous one, or more than 30 in a sliding second overall.

Default 2,000 events for 50 users; ``--full`` is the issue's 100,000 events for 500 users.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from benches.common import free_port, stop_all, with_root_on_path
from benches.publish import Db, _http, _pct, _ts, _wait_for

KINDS = ["post.failed", "post.needs_check", "lead.created", "comment.negative",
         "inbox.negative_surge", "report.ready"]


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kosmmos bench notify")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-org", type=int, default=5, help="members per organisation")
    parser.add_argument("--run-seconds", type=float, default=60.0)
    parser.add_argument("--full", action="store_true",
                        help="the issue's size: 100,000 events, 500 users, over 15 minutes")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary KOSMMOS_VAR")
    opts = parser.parse_args(argv)
    if opts.full:
        opts.events, opts.users, opts.run_seconds = 100_000, 500, 900.0
    var = tempfile.mkdtemp(prefix="kosmmos-bench-notify-")
    sandbox_port, web_port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    env = with_root_on_path({**os.environ, "KOSMMOS_VAR": var, "LOG_LEVEL": "WARNING",
                             "SANDBOX_URL": sandbox, "NOTIFY_EMAIL_SPACING_S": "20"})
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    procs: list[subprocess.Popen[bytes]] = []
    log = open(Path(var) / "bench.log", "wb")  # noqa: SIM115
    try:
        subprocess.run([sys.executable, "-m", "kosmmos.cli", "migrate", "--noinput"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        spec = {"users": opts.users, "per_org": opts.per_org, "events": opts.events,
                "run_seconds": opts.run_seconds}
        setup_out = json.loads(subprocess.run(
            [sys.executable, "-m", "benches.notify", "setup", json.dumps(spec)],
            env=env, check=True, capture_output=True).stdout)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "kosmmos.cli", "serve", "--port", str(web_port),
             "--no-redirect", "--web-workers", "1"],
            env=env, stdout=log, stderr=log, start_new_session=True))
        _wait_for(f"{sandbox}/healthz", 60)
        _http("PUT", f"{sandbox}/botapi/_admin/faults",
              {"fail_rate": 0.05, "rate429": 0.05, "retry_after": 1})
        _http("PUT", f"{sandbox}/hooks/_admin/faults", {"fail_rate": 0.05})
        for name, secret in setup_out["secrets"].items():
            _http("PUT", f"{sandbox}/hooks/_admin/secret", {"name": name, "secret": secret})
        started = time.time()
        emitter = subprocess.Popen(
            [sys.executable, "-m", "benches.notify", "emit", json.dumps(spec)],
            env=env, stdout=log, stderr=log)
        killed = None
        if not opts.no_kill:
            time.sleep(opts.run_seconds / 2)
            killed = _kill_a_worker(procs[0].pid)
        emitter.wait(timeout=opts.run_seconds * 3 + 600)
        db = Db(env)
        deadline = time.time() + 300
        while time.time() < deadline:
            left = db.rows(
                "SELECT (SELECT count(*) FROM notifications_event WHERE fanned_out_at IS NULL)"
                " + (SELECT count(*) FROM notifications_delivery WHERE status IN"
                " ('pending', 'queued', 'sending'))"
                " + (SELECT count(*) FROM notifications_webhookdelivery WHERE status IN"
                " ('pending', 'queued', 'sending'))")[0][0]
            if left == 0:
                break
            time.sleep(2)
        report = _report(db, sandbox, opts)
        report.update({"run_s": round(time.time() - started, 1), "killed_worker_pid": killed})
        return report
    finally:
        stop_all(procs, log, var, opts.keep)


def _kill_a_worker(serve_pid: int) -> int | None:
    workers = [c for c in psutil.Process(serve_pid).children() if "worker" in c.cmdline()]
    if not workers:
        return None
    workers[0].send_signal(signal.SIGKILL)
    return int(workers[0].pid)


def _pages(url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page = _http("GET", f"{url}{'&' if '?' in url else '?'}after={after}&limit=20000")
        got = page["items"]
        if not got:
            return items
        items += got
        after = got[-1]["message_id"] if "message_id" in got[-1] else got[-1]["id"]


def _report(db: Db, sandbox: str, opts: argparse.Namespace) -> dict[str, Any]:
    events = {e: _ts(at) for e, at in db.rows("SELECT id, created_at FROM notifications_event")}
    per_event = opts.per_org * 3 + 1
    expected = len(events) * per_event
    counts = dict(db.rows("SELECT channel, count(*) FROM notifications_delivery "
                          "WHERE status = 'sent' GROUP BY channel"))
    inapp = [_ts(at) - events[e] for e, at in db.rows(
        "SELECT event_id, created_at FROM notifications_delivery WHERE channel = 'inapp'")]
    # Telegram: a row counts when the fake Bot API holds its message for that chat.
    messages = _pages(f"{sandbox}/botapi/_admin/messages")
    held = {(str(m["chat"]["id"]), str(m["message_id"])) for m in messages}
    rows = db.rows("SELECT s.telegram_chat_id, d.external_id FROM notifications_delivery d "
                   "JOIN notifications_subscriber s ON s.user_id = d.user_id AND "
                   "s.organisation_id = d.organisation_id WHERE d.channel = 'telegram' "
                   "AND d.status = 'sent'")
    tg_delivered = sum(1 for chat, mid in rows if (str(chat), str(mid)) in held)
    claimed = {(str(chat), str(mid)) for chat, mid in rows}
    tg_duplicates = len(held - claimed)
    violations = _http("GET", f"{sandbox}/botapi/_admin/messages?limit=1")["violations"]
    # Webhooks: distinct deliveries received, by the header; the first receipt's time.
    received = _pages(f"{sandbox}/hooks/_admin/received")
    first: dict[str, float] = {}
    copies: dict[str, int] = {}
    unverified = 0
    for item in received:
        first.setdefault(item["delivery"], item["at"])
        copies[item["delivery"]] = copies.get(item["delivery"], 0) + 1
        unverified += item["verified"] is not True
    known = {d.replace("-", ""): e for d, e in db.rows(
        "SELECT id, event_id FROM notifications_webhookdelivery")}
    hooks_delivered = sum(1 for d in first if d.replace("-", "") in known)
    webhook_lat = [first[d] - events[known[d.replace("-", "")]] for d in first
                   if d.replace("-", "") in known]
    delivered = (counts.get("inapp", 0) + counts.get("email", 0) + tg_delivered
                 + hooks_delivered)
    return {
        "events": len(events), "deliveries_expected": expected, "delivered": delivered,
        "duplicates": tg_duplicates + sum(n - 1 for n in copies.values()),
        "lost": expected - delivered,
        "inapp_p95_s": _pct(inapp, 0.95), "webhook_p95_s": _pct(webhook_lat, 0.95),
        "telegram_rate_violations": violations,
        "by_channel": {"inapp": counts.get("inapp", 0), "email": counts.get("email", 0),
                       "telegram": tg_delivered, "webhook": hooks_delivered},
        "telegram_messages": len(messages), "unverified_signatures": unverified,
        "emails": db.rows("SELECT count(*) FROM mail_delivery WHERE kind = 'notification'")[0][0],
        "users": opts.users, "events_asked": opts.events,
    }


# --- In child processes with Django ------------------------------------------------------------


def setup(spec: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings

    from kosmmos.accounts.models import Membership, Organisation, Role, User, Workspace
    from kosmmos.lib import crypto
    from kosmmos.notifications.models import Subscriber, TelegramBot, Webhook

    every = {k: ["inapp", "email", "telegram"] for k in KINDS}
    secrets: dict[str, str] = {}
    orgs = max(1, spec["users"] // spec["per_org"])
    chat = 900000
    for o in range(orgs):
        org = Organisation.objects.create(name=f"Bench {o}", contact_email=f"o{o}@bench.test")
        Workspace.objects.create(organisation=org, name=f"Bench client {o}")
        TelegramBot.objects.create(organisation=org, username=f"bench{o}_bot",
                                   token_encrypted=crypto.encrypt(f"{o}:bench"),
                                   api_url=f"{settings.SANDBOX_URL}/botapi")
        name = f"o{o}"
        secrets[name] = f"whsec_bench_{o}"
        Webhook.objects.create(organisation=org, url=f"{settings.SANDBOX_URL}/hooks/{name}",
                               secret_encrypted=crypto.encrypt(secrets[name]))
        for u in range(spec["per_org"]):
            user = User.objects.create_user(f"u{o}-{u}@bench.test", None)
            Membership.objects.create(organisation=org, user=user,
                                      role=Role.OWNER if u == 0 else Role.MANAGER)
            chat += 1
            Subscriber.objects.create(organisation=org, user=user, telegram_chat_id=chat,
                                      choices={"*": every})
    return {"secrets": secrets}


def emit_events(spec: dict[str, Any]) -> None:
    import django

    django.setup()
    from django.db import transaction

    from kosmmos.accounts.models import Workspace
    from kosmmos.lib.events import emit

    spaces = list(Workspace.objects.filter(organisation__name__startswith="Bench ")
                  .values_list("organisation_id", "pk"))
    n, run_s = spec["events"], spec["run_seconds"]
    rng = random.Random(16)
    t0 = time.time()
    for i in range(n):
        time.sleep(max(0.0, t0 + i * run_s / n - time.time()))
        org, ws = spaces[i % len(spaces)]
        with transaction.atomic():
            emit(rng.choice(KINDS), organisation=org, workspace=ws,
                 title=f"Событие {i}", body="bench", url="/notifications/",
                 dedupe_key=f"bench:{i}")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")
    if sys.argv[1:2] == ["setup"]:
        print(json.dumps(setup(json.loads(sys.argv[2]))))
    elif sys.argv[1:2] == ["emit"]:
        emit_events(json.loads(sys.argv[2]))
