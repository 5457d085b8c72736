"""Fixtures for the browser tests: a real SMTP server, a real `kosmmos serve`, a real Chromium.

Everything runs on 127.0.0.1. The instance is isolated from the developer's own: a temporary
KOSMMOS_VAR, a fresh PostgreSQL database when DATABASE_URL is set (dropped afterwards) and Redis
database 15 when REDIS_URL is set (flushed before and after): the fixtures in tests/conftest.py.
The demo is migrated and loaded once per session (``demo_template``); each test gets a copy.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HEALTH_TIMEOUT_S = 30.0


DEMO_PASSWORD = "kosmmos-demo"  # the demo's users (kosmmos/demo/agency.py)


def sign_in(page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("main form button").click()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every message it is given."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append(Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=message,
            ))
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler

    def wait_for(self, predicate: object, timeout: float = 20.0) -> Received:
        """The first message matching ``predicate``, polling until ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            for received in self.handler.snapshot():
                if predicate(received):
                    return received
            if time.monotonic() > deadline:
                seen = [(r.rcpt_tos, r.subject) for r in self.handler.snapshot()]
                raise AssertionError(f"no matching email within {timeout:.0f} s; received: {seen}")
            time.sleep(0.25)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


# --- The instance -------------------------------------------------------------------------------


@dataclass
class Instance:
    base_url: str
    env: dict[str, str]
    log_path: Path

    def kosmmos(self, *args: str, timeout: float = 180) -> str:
        """Run ``kosmmos <args>`` against this instance; its stdout, or the test fails."""
        return run_kosmmos(self.env, *args, timeout=timeout)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def run_kosmmos(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    command = [sys.executable, "-m", "kosmmos.cli", *args]
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`kosmmos {' '.join(args)}` exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
        )
    return result.stdout


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (supervisor, granian, worker), then SIGKILL it."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        return
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):  # stragglers: the worker, granian's children
        os.killpg(pgid, signal.SIGKILL)
    proc.wait(timeout=10)


@dataclass
class DemoTemplate:
    """The migrated demo, built once per session; every test's instance starts from a copy.

    Its ports are the session's: the demo's rows hold the sandbox's address (permalinks, the
    webhook, the drand relay), so every instance serves on the ones the template was built for.
    """

    var: Path
    database: str | None  # the template database's name on DATABASE_URL's server
    env: dict[str, str]
    port: int


def _base_env(var: Path, port: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SMTP_USER", "SMTP_PASSWORD", "SMTP_SSL",
                     "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SITE_URL", "HOST", "PORT"}
        and not k.endswith("_FILE")
    }
    env.update({
        "KOSMMOS_VAR": str(var),
        "SMTP_STARTTLS": "0",
        "SMTP_TIMEOUT": "10",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "BRIEF_RATE_LIMIT": "50",
        "KOSMMOS_TICK_SECONDS": "0.5",
        "DJANGO_SETTINGS_MODULE": "kosmmos.settings",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
        # Their own ports, so a developer's running instance (8001/8002) never interferes.
        "LINKS_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "SANDBOX_URL": f"http://127.0.0.1:{free_port()}",
    })
    return env


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTemplate]:
    """`migrate` and `kosmmos demo` once (about a minute on a busy machine), not per test."""
    from tests.conftest import database_name, scratch_database, scratch_redis_url

    var = tmp_path_factory.mktemp("template") / "var"
    var.mkdir()
    port = free_port()
    env = _base_env(var, port)
    with scratch_database() as database_url:
        build = dict(env)
        if database_url:
            build["DATABASE_URL"] = database_url
        redis_url = scratch_redis_url()
        if redis_url:
            build["REDIS_URL"] = redis_url
        run_kosmmos(build, "migrate", "--noinput")
        run_kosmmos(build, "demo")
        yield DemoTemplate(var=var, database=database_name(database_url) if database_url
                           else None, env=env, port=port)


def _wait_ports_free(ports: list[int], timeout: float = 20.0) -> None:
    """The previous test's instance has let go of the session's ports."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"port {port} is still taken by an earlier instance")
                    time.sleep(0.2)


@pytest.fixture
def kosmmos_instance(
    tmp_path: Path, smtp_server: SmtpServer, demo_template: DemoTemplate,
    redis_url: str | None,
) -> Iterator[Instance]:
    """With the demo agency (a copy of the session's template), served by `kosmmos serve`."""
    from tests.conftest import scratch_database

    port = demo_template.port
    base_url = f"http://127.0.0.1:{port}"
    var = tmp_path / "var"
    shutil.copytree(demo_template.var, var)
    env = dict(demo_template.env)
    env.update({"KOSMMOS_VAR": str(var), "SMTP_HOST": smtp_server.host,
                "SMTP_PORT": str(smtp_server.port)})
    ports = [port] + [int(env[k].rsplit(":", 1)[1]) for k in ("LINKS_BASE_URL", "SANDBOX_URL")]
    with scratch_database(template=demo_template.database) as postgres_url:
        if postgres_url:
            env["DATABASE_URL"] = postgres_url
        if redis_url:
            env["REDIS_URL"] = redis_url
        _wait_ports_free(ports)
        ARTIFACTS.mkdir(exist_ok=True)
        log_path = ARTIFACTS / "brief-flow-server.log"
        command = [sys.executable, "-m", "kosmmos.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(port)]
        if redis_url:
            # The scale set-up runs these as their own services; the test co-hosts them.
            command += ["--with-worker", "--redirect", "--sandbox"]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        instance = Instance(base_url=base_url, env=env, log_path=log_path)
        try:
            _wait_healthy(proc, instance)
            yield instance
        finally:
            _stop_group(proc)


def _wait_healthy(proc: subprocess.Popen[bytes], instance: Instance) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`kosmmos serve` exited {proc.returncode}:\n{instance.log_tail()}")
        try:
            with urllib.request.urlopen(f"{instance.base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:300]!r}"
        except (urllib.error.URLError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.25)
    pytest.fail(
        f"/healthz not 200 within {HEALTH_TIMEOUT_S:.0f} s (last: {last})\n{instance.log_tail()}"
    )


# --- Chromium -----------------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    """Skip on a developer's machine; on CI the browser test must run, so fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser test must run here)")
    pytest.skip(reason)


@pytest.fixture
def chromium_browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: `apt-get install chromium` to run browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: `make dev` installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium_browser: object) -> Iterator[object]:
    context = chromium_browser.new_context(
        # An English browser on purpose: Kosmmos speaks Russian unless the person switches.
        viewport={"width": 1280, "height": 900}, locale="en-US",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
