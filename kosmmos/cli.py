"""The ``kosmmos`` command: serve, worker, demo, bench, sentiment, and Django's own commands.

``kosmmos serve`` is a small supervisor: it runs the web server (granian, WSGI) and — in the
embedded set-up, or with ``--with-worker`` — a Celery worker, restarts a child that dies, and stops
both on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")

USAGE = """usage: kosmmos <command> [options]

  serve      web server (+ worker in the embedded set-up)
  web        the web server alone (what serve runs; --workers, --threads)
  worker     a Celery worker with its ticker (scale set-up: run as many as you like)
  redirect   the short-link redirect service and its click flusher (--port 8001)
  sandbox    the sandbox social network for rehearsal channels (--port 8002)
  demo       create the demo agency and print its login
  backup     one archive of the databases, media and keys, safe while running (--to DIR)
  restore    restore ARCHIVE into an empty installation (refuses a bad archive, changes nothing)
  bench      bench <name> --json (names: {benches})
  sentiment  train / eval the Russian sentiment model
  <django>   any Django management command: migrate, createsuperuser, shell, …
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    rest = args[1:]
    if command in {"help", "-h", "--help"}:
        benches = _benches()
        names = ", ".join(sorted(benches.BENCHES)) if benches else "none in this install"
        print(USAGE.format(benches=names))
        return 0
    handlers = {
        "serve": serve, "web": web, "worker": worker, "bench": bench, "sentiment": sentiment,
        "redirect": redirect, "sandbox": sandbox,
    }
    if command in handlers:
        return handlers[command](rest)
    return django_command([command, *rest])


def django_command(args: list[str]) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kosmmos", *args])
    return 0


# --- serve -------------------------------------------------------------------------------------


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kosmmos serve")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    # One web process per core: a request renders in Python, so one process is one core.
    parser.add_argument("--web-workers", type=int,
                        default=int(os.environ.get("KOSMMOS_WEB_WORKERS", "0")) or web_cpus(),
                        help="web server processes (default: one per core)")
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("KOSMMOS_WEB_THREADS", "4")),
                        help="request threads per web process")
    # Two worker processes use both cores for CPU-bound jobs (proposal and report PDFs: threads in
    # one process would queue behind the GIL), and while one restarts after a crash the other
    # keeps publishing on time. Each costs ~130 MB: `--worker-processes 1` (or
    # KOSMMOS_WORKER_PROCESSES=1) fits the embedded set-up into ~400 MB on a small machine.
    parser.add_argument("--worker-processes", type=int,
                        default=int(os.environ.get("KOSMMOS_WORKER_PROCESSES", "2")),
                        help="embedded workers")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--with-worker", action="store_true", help="also run a worker")
    group.add_argument("--no-worker", action="store_true", help="web server only")
    # The short-link service and the sandbox network run beside the web server in the embedded
    # set-up; at scale they are their own services (`kosmmos redirect`, `kosmmos sandbox`).
    parser.add_argument("--redirect", action=argparse.BooleanOptionalAction, default=None,
                        help="run the short-link service (default: embedded set-up only)")
    parser.add_argument("--sandbox", action=argparse.BooleanOptionalAction, default=None,
                        help="run the sandbox network (default: embedded set-up only)")
    # Publishing batches wait on the networks (and for their exact second), not on the CPU.
    parser.add_argument("--worker-threads", type=int,
                        default=int(os.environ.get("KOSMMOS_WORKER_THREADS", "8")),
                        help="task threads per embedded worker")
    opts = parser.parse_args(argv)

    from django.conf import settings

    embedded = not settings.REDIS_URL
    run_worker = (embedded or opts.with_worker) and not opts.no_worker
    web = [
        sys.executable, "-m", "kosmmos.cli", "web", "--host", opts.host, "--port", str(opts.port),
        "--workers", str(max(1, opts.web_workers)), "--threads", str(opts.threads),
    ]
    children = {"web": web}
    if run_worker:
        for number in range(1, max(1, opts.worker_processes) + 1):
            children[f"worker-{number}"] = [
                sys.executable, "-m", "kosmmos.cli", "worker", "--concurrency",
                str(opts.worker_threads),
            ]
    if embedded if opts.redirect is None else opts.redirect:
        # Its address is LINKS_BASE_URL: the links printed in posts must reach it.
        redirect_url = urlsplit(settings.LINKS_BASE_URL)
        children["redirect"] = [
            sys.executable, "-m", "kosmmos.cli", "redirect",
            "--host", redirect_url.hostname or opts.host, "--port", str(redirect_url.port or 8001),
        ]
    if embedded if opts.sandbox is None else opts.sandbox:
        children["sandbox"] = [sys.executable, "-m", "kosmmos.cli", "sandbox"]
    # glibc gives each thread that allocates its own malloc arena (up to 8 per core), and a
    # threaded web process's resident memory creeps up as those arenas fragment; two arenas
    # keep it flat at no measurable cost in speed. Read at each child's start.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    url = f"http://{opts.host}:{opts.port}"
    mode = "embedded (SQLite, file queue)" if embedded else "PostgreSQL/Redis"
    print(f"Kosmmos is serving at {url}  [{mode}; worker: {'yes' if run_worker else 'no'}]",
          flush=True)
    print(f"Logs: {settings.LOG_DIR}/ (the console shows warnings and errors only)", flush=True)
    if run_worker and hasattr(os, "geteuid") and os.geteuid() == 0:
        # Said once here instead of by each worker process at every start.
        print("Note: running as root — fine to try Kosmmos, not for a server others can reach.",
              flush=True)
    return Supervisor(children).run()


def web_cpus() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Supervisor:
    """Keeps each child running; a crash is restarted after a short pause, not in a tight loop."""

    def __init__(self, commands: dict[str, list[str]]) -> None:
        self.commands = commands
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def _start(self, name: str) -> None:
        # Each kind of child logs to its own rotated file, var/logs/<name>.log (settings.LOGGING).
        env = {**os.environ, "KOSMMOS_LOG_NAME": name}
        self.procs[name] = subprocess.Popen(self.commands[name], env=env)

    def _stop(self, *_: object) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for name in self.commands:
            self._start(name)
        restarts: dict[str, float] = {}
        while not self.stopping:
            time.sleep(0.5)
            for name, proc in list(self.procs.items()):
                if proc.poll() is not None and not self.stopping:
                    pause = 1.0 if time.monotonic() - restarts.get(name, 0) > 30 else 5.0
                    print(f"kosmmos serve: {name} exited ({proc.returncode}); restarting",
                          file=sys.stderr, flush=True)
                    time.sleep(pause)
                    restarts[name] = time.monotonic()
                    self._start(name)
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        return 0


# --- web ---------------------------------------------------------------------------------------


def web(argv: list[str]) -> int:
    """granian (WSGI) with Django loaded once before it forks its worker processes.

    Each process loading Django on its own cost ~60 MB; loaded in the parent (every view module
    imported, the objects frozen out of the garbage collector's reach so that collecting does not
    write to them), the code and most of the data stay pages the processes share.
    """
    parser = argparse.ArgumentParser(prog="kosmmos web")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    opts = parser.parse_args(argv)
    import gc

    from django.urls import get_resolver
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    import kosmmos.wsgi  # noqa: F401  (django.setup() before the fork)

    get_resolver().url_patterns  # noqa: B018  (imports every view and its templatetags' modules)
    from django.db import connections

    connections.close_all()  # a connection must not cross a fork
    gc.freeze()
    Server("kosmmos.wsgi:application", address=opts.host, port=opts.port,
           interface=Interfaces.WSGI, workers=max(1, opts.workers),
           blocking_threads=opts.threads, websockets=False, log_level=LogLevels.warning).serve()
    return 0


# --- worker ------------------------------------------------------------------------------------


def worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kosmmos worker")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--loglevel", default="INFO")
    opts = parser.parse_args(argv)

    import django

    django.setup()
    import warnings

    from celery.exceptions import SecurityWarning
    from django.conf import settings

    from kosmmos.jobs.app import app

    # The supervisor says it once (`kosmmos serve`); each worker repeating it is noise.
    warnings.filterwarnings("ignore", category=SecurityWarning)
    # Django's LOGGING stays in charge (files under var/logs/, warnings on the console).
    app.conf.worker_hijack_root_logger = False
    args = [
        "--quiet", "worker", f"--loglevel={opts.loglevel}", "--pool=threads",
        f"--concurrency={opts.concurrency}", "--without-gossip", "--without-mingle",
        "--hostname", f"kosmmos-{os.getpid()}@%h",
    ]
    if not settings.REDIS_URL:
        # The file-system transport has no broadcast exchange for remote control.
        app.conf.worker_enable_remote_control = False
        args.append("--without-heartbeat")
    app.worker_main(args)
    return 0


# --- redirect (links issue) -------------------------------------------------------------------


def redirect(argv: list[str]) -> int:
    """Short links: granian serving kosmmos.links.redirect plus the click flusher."""
    from kosmmos.links.service import run

    return run(argv)


# --- sandbox (publishing issue) ---------------------------------------------------------------


def sandbox(argv: list[str]) -> int:
    """The sandbox network (kosmmos/connectors/sandbox/server.py) on granian, state in var/."""
    from django.conf import settings

    default = urlsplit(settings.SANDBOX_URL)
    parser = argparse.ArgumentParser(prog="kosmmos sandbox")
    parser.add_argument("--host", default=default.hostname or "127.0.0.1")
    parser.add_argument("--port", type=int, default=default.port or 8002)
    parser.add_argument("--state", default=str(settings.VAR_DIR / "sandbox.sqlite3"),
                        help="SQLite file for the network's state ('' = memory only)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SANDBOX_SEED", "1")))
    opts = parser.parse_args(argv)
    os.environ.update(SANDBOX_STATE=opts.state, SANDBOX_SEED=str(opts.seed),
                      SANDBOX_PUBLIC_URL=f"http://{opts.host}:{opts.port}")
    # One process owns the in-memory state; exec so a supervisor's signals reach granian.
    args = [sys.executable, "-m", "granian", "--interface", "asgi",
            "kosmmos.connectors.sandbox.server:app", "--host", opts.host, "--port",
            str(opts.port), "--workers", "1", "--no-ws", "--log-level", "warning",
            "--backlog", "2048"]
    os.execv(sys.executable, args)  # noqa: S606 (our own interpreter, fixed arguments)
    return 0  # not reached


# --- bench, sentiment --------------------------------------------------------------------------


# The benchmarks are not shipped: they live in the checkout's benches/ folder, beside kosmmos/
# (`make install` installs Kosmmos editable, so this file is in that checkout).
CHECKOUT = Path(__file__).resolve().parents[1]

NO_BENCHES = f"""kosmmos bench: the benchmarks are not in this install. They live in the benches/ folder of a
Kosmmos checkout ({CHECKOUT / "benches"} is missing): clone the repository and run `make install`
there, which installs Kosmmos editable.
kosmmos bench: в этой установке нет бенчмарков. Они лежат в папке benches/ клона репозитория Kosmmos
({CHECKOUT / "benches"} нет): склонируйте репозиторий и выполните в нём `make install` — он ставит
Kosmmos в режиме editable."""

MISSING_PACKAGE = """kosmmos bench {name} needs the Python package {package}: run `make bench NAME={name}` in
{checkout}, or `{python} -m pip install -e '{checkout}[bench]'`.
kosmmos bench {name}: нужен пакет Python {package}: выполните `make bench NAME={name}` в
{checkout} или `{python} -m pip install -e '{checkout}[bench]'`."""


def _benches() -> ModuleType | None:
    """The checkout's ``benches`` package, imported; None when this install has no checkout."""
    if not (CHECKOUT / "benches" / "__init__.py").is_file():
        return None
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    return importlib.import_module("benches")


def bench(argv: list[str]) -> int:
    benches = _benches()
    if benches is None:
        print(NO_BENCHES, file=sys.stderr)
        return 2
    if not argv or argv[0] not in benches.BENCHES:
        print(f"usage: kosmmos bench <{'|'.join(sorted(benches.BENCHES))}> --json", file=sys.stderr)
        return 2
    name = argv[0]
    module, _, func = benches.BENCHES[name].partition(":")
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in {"benches", "kosmmos"}:
            raise
        print(MISSING_PACKAGE.format(name=name, package=exc.name, checkout=CHECKOUT,
                                     python=sys.executable), file=sys.stderr)
        return 2
    result = getattr(loaded, func)(argv[1:])
    if "--json" in argv:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    # A bench that says its run failed (an email that never came) fails the command.
    return 1 if isinstance(result, dict) and result.get("failed") else 0


def sentiment(argv: list[str]) -> int:
    from kosmmos.inbox.sentiment.cli import main as sentiment_main

    return sentiment_main(argv)


if __name__ == "__main__":
    sys.exit(main())
