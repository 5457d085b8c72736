"""``kosmmos bench proposal``: seconds from a brief POSTed to the public form to its proposal
email (PDF attached) arriving at an SMTP server, with auto-send on; and the PDF's size and pages.

Runs the embedded default (SQLite, file queue): a real ``kosmmos serve`` on a temporary
``KOSMMOS_VAR`` with the demo loaded and auto-send enabled for the demo agency, its SMTP pointed
at an aiosmtpd server started here. Briefs are posted one after another over HTTP, each with its
own address, so each email is matched to its POST. The set-up (and one warm-up brief) is not
timed. One embedded worker renders the PDFs (~0.7 s of CPU each, threads share the GIL), so
briefs posted back to back queue behind each other: p95 is about 20 × one render.

An email that has not arrived by ``--timeout`` counts as infinitely late: it is in the
percentiles (a p95 that reaches one is null), ``emails`` says how many arrived of ``briefs``,
and the run fails (``failed`` in the JSON, exit status 1).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import http.cookiejar
import io
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from typing import Any, cast

from aiosmtpd.controller import Controller

from benches.common import free_port, kosmmos, wait_healthy

_ENABLE_AUTO_SEND = """
import django; django.setup()
from kosmmos.accounts.models import Organisation
from kosmmos.demo.agency import DEMO_ORG
from kosmmos.proposals.models import ProposalSettings
org = Organisation.objects.get(name=DEMO_ORG)
ProposalSettings.objects.update_or_create(organisation=org, defaults={"auto_send": True})
print(org.brief_code)
"""


class _Inbox:
    """An aiosmtpd handler that notes when each recipient's proposal (a PDF) arrives."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.pdfs: dict[str, bytes] = {}
        self.changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.monotonic()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        pdf = [cast(bytes, p.get_payload(decode=True)) for p in message.walk()
               if p.get_content_type() == "application/pdf"]
        if pdf:
            with self.changed:
                for rcpt in envelope.rcpt_tos:
                    self.arrivals.setdefault(rcpt, at)
                    self.pdfs.setdefault(rcpt, pdf[0])
                self.changed.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.arrivals) < count and time.monotonic() < deadline:
                self.changed.wait(max(0.05, deadline - time.monotonic()))


def _post_brief(opener: urllib.request.OpenerDirector, url: str, address: str) -> float:
    """GET the form for its CSRF token, POST a brief; returns the moment the POST started."""
    page = opener.open(url).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the brief form has no CSRF token"
    fields = [
        ("csrfmiddlewaretoken", token.group(1)), ("networks", "vk"), ("networks", "telegram"),
        ("country", "Россия"), ("cities", "Москва"), ("goals", "traffic"), ("goals", "reach"),
        ("product_type", "permanent"), ("budget_rub", "150000"), ("period_months", "6"),
        ("kpis", "200 заявок в месяц"), ("contact_name", "Бенч Тестов"),
        ("company", f"Бенч {address}"), ("email", address), ("consent", "on"),
    ]
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=body, headers={"Referer": url})  # noqa: S310
    started = time.monotonic()
    with opener.open(request) as response:
        # The form redirects to its thank-you page; the brief is stored by then.
        assert response.status == 200 and "/thanks/" in response.url, response.url
    return started


def _pages(pdf: bytes) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is a dev dependency; count page objects instead
        return len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench proposal")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--briefs", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=180)
    opts = parser.parse_args(argv)

    inbox = _Inbox()
    smtp_port, web_port = free_port(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    base = f"http://127.0.0.1:{web_port}"
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-") as var:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update({
            "KOSMMOS_VAR": var, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
            "SMTP_STARTTLS": "0", "SMTP_SSL": "0", "SITE_URL": base,
            "BRIEF_RATE_LIMIT": str(opts.briefs * 10),
        })
        kosmmos("migrate", "--noinput", env=env)
        kosmmos("demo", env=env)
        code = subprocess.run([sys.executable, "-c", _ENABLE_AUTO_SEND], env=env, check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        controller.start()
        # KOSMMOS_BENCH_LOG=<file> keeps the server's output for a slow or failed run.
        log = open(os.environ.get("KOSMMOS_BENCH_LOG", os.devnull), "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "kosmmos.cli", "serve", "--port", str(web_port)],
            env=env, stdout=log, stderr=log, start_new_session=True,
        )
        try:
            wait_healthy(f"{base}/healthz", timeout=60)
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            # Warm-up, not timed: the worker may still be starting when /healthz answers, and
            # its first PDF pays for importing WeasyPrint and loading the fonts.
            _post_brief(opener, f"{base}/brief/{code}/", "warm-up@leads.example")
            inbox.wait_for(1, opts.timeout)
            posted = {}
            for i in range(opts.briefs):
                address = f"bench-{i}@leads.example"
                posted[address] = _post_brief(opener, f"{base}/brief/{code}/", address)
            inbox.wait_for(opts.briefs + 1, opts.timeout)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            controller.stop()
            log.close()
    return summary(posted, inbox.arrivals, inbox.pdfs, opts.timeout)


def _seconds(value: float) -> float | None:
    return None if math.isinf(value) else round(value, 2)


def summary(posted: dict[str, float], arrivals: dict[str, float], pdfs_by: dict[str, bytes],
            timeout: float) -> dict[str, object]:
    """The figures: an email that never arrived is infinitely late, and fails the run."""
    latencies = [arrivals[a] - t if a in arrivals else math.inf for a, t in posted.items()]
    arrived = sum(1 for a in posted if a in arrivals)
    pdfs = [pdfs_by[a] for a in posted if a in pdfs_by]
    result: dict[str, object] = {
        "submit_to_email_p95_s": _seconds(_p95(latencies)) if latencies else None,
        "pdf_kb": round(statistics.median(len(p) for p in pdfs) / 1024, 1) if pdfs else None,
        "pages": int(statistics.median(_pages(p) for p in pdfs)) if pdfs else None,
        "submit_to_email_median_s": (_seconds(statistics.median(latencies))
                                     if latencies else None),
        "emails": arrived,
        "briefs": len(posted),
        "database": "sqlite",
    }
    if arrived < len(posted):
        result["failed"] = (f"{len(posted) - arrived} of {len(posted)} proposal emails did not "
                            f"arrive within {timeout:g} s")
    return result
