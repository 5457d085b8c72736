"""The flusher: tails the click spool into the event store in batches.

Run by ``kosmmos redirect`` as a separate process (``python -m kosmmos.links.flusher``), so its
inserts never take the GIL from the redirect server. Each batch and the new spool offset are
written in one transaction: a SIGKILL of the flusher neither loses nor duplicates a click (the
next run resumes at the stored offset). On SIGTERM/SIGINT it drains every segment to the end,
then exits.

Ingestion is a pipeline of named steps; a line dropped says why (a damaged line is logged and
skipped, never retried forever).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

from kosmmos.links.events import Click, EventStore
from kosmmos.links.spool import Segment, parse_line, segments

log = logging.getLogger("kosmmos.links.flusher")

CHUNK_BYTES = 2 * 2**20  # ≈ 16k clicks per transaction


def drain_once(store: EventStore, directory: Path | str) -> int:
    """Read what is new in every segment and store it; returns clicks stored."""
    stored = 0
    offsets = store.offsets()
    for segment in segments(directory):
        stored += _drain_segment(store, segment, offsets.get(segment.key, 0))
    return stored


def _drain_segment(store: EventStore, segment: Segment, position: int) -> int:
    stored = 0
    alive = segment.writer_alive()  # asked before reading: a writer that dies later is seen next time
    try:
        fd = os.open(segment.path, os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        size = os.fstat(fd).st_size
        while position < size:
            data = os.pread(fd, min(CHUNK_BYTES, size - position), position)
            end = data.rfind(b"\n")
            if end < 0:
                break  # a partial last line: its writer is still writing it
            chunk = data[: end + 1]
            batch: list[Click] = []
            for raw in chunk.decode(errors="replace").splitlines():
                click = parse_line(raw)
                if click is None:
                    log.warning("dropped a damaged spool line in %s: %r", segment.key, raw[:200])
                    continue
                batch.append(click)
            position += len(chunk)
            store.append_clicks(batch, offsets={segment.key: position})
            stored += len(batch)
        # No fsync of the spool here: what was read is already committed to the event store, and
        # an fsync while the redirect server appends to the same file stalls its writes (tail
        # latency). A power cut can lose what the kernel had not written back yet (seconds).
    finally:
        os.close(fd)
    finished = position >= os.path.getsize(segment.path) if segment.path.exists() else True
    if finished and not alive:
        segment.path.unlink(missing_ok=True)
        store.forget_segment(segment.key)
    return stored


class Flusher:
    def __init__(self, store: EventStore, directory: Path | str, interval: float = 0.2) -> None:
        self.store, self.directory, self.interval = store, Path(directory), interval
        self.stop = threading.Event()

    def run(self) -> int:
        total = 0
        while not self.stop.is_set():
            try:
                total += drain_once(self.store, self.directory)
            except Exception:
                log.exception("flush failed; retrying")
            self.stop.wait(self.interval)
        # Graceful stop: everything written so far goes to the store before we exit.
        while True:
            stored = drain_once(self.store, self.directory)
            total += stored
            if not stored:
                break
        log.info("flusher stopped; %s clicks stored in this run", total)
        return total


def main() -> int:
    # Handlers first: a stop asked for during start-up still drains before exiting.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Storing clicks is background work: on a busy machine the redirect server gets the CPU first
    # and the flusher catches up from the durable spool (a lower priority never loses a click).
    os.nice(int(os.environ.get("LINKS_FLUSHER_NICE", "10")))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")
    from django.conf import settings

    if settings.LINKS_EVENTS_BACKEND == "postgres":  # its store writes through Django's ORM
        import django

        django.setup()
    else:  # a file of its own: the settings and logging suffice (~20 MB less than every model)
        from django.utils.log import configure_logging

        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)

    from kosmmos.links.events import get_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s flusher %(levelname)s %(message)s")
    flusher = Flusher(get_store(), settings.LINKS_SPOOL_DIR)
    flusher.stop = stop
    started = time.monotonic()
    flusher.run()
    log.info("ran %.0f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
