"""The click spool: an append-only local file per redirect process, tailed by the flusher.

The redirect hot path does one ``os.write`` of one line per click to a file opened with
``O_APPEND`` — no database, no lock, no buffer in Python. Once ``write`` returns, the line is in
the kernel's page cache: a SIGKILL of the redirect process loses nothing that was answered. (A
power cut can lose what the kernel had not written back and the flusher had not stored yet:
the kernel's writeback delay, a few seconds.)

Segment files are ``clicks-<start ms>-<pid>.spool``; a writer renames its file to ``.sealed`` when
it rotates or stops, which tells the flusher it may delete the file once fully read. A segment
whose writer died without sealing is deleted once read and its pid is gone.

Line: ``ts_ms \\t kid \\t workspace hex \\t link hex \\t referrer host \\t ua class \\t device \\t bot``.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from kosmmos.links.events import Click

ROTATE_BYTES = 64 * 2**20


class SpoolWriter:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fd = -1
        self.path: Path | None = None
        self.written = 0
        self._open()

    def _open(self) -> None:
        name = f"clicks-{int(time.time() * 1000)}-{os.getpid()}.spool"
        self.path = self.directory / name
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.written = 0

    def write(self, line: str) -> None:
        data = line.encode()
        os.write(self.fd, data)
        self.written += len(data)
        if self.written >= ROTATE_BYTES:
            self.seal()
            self._open()

    def seal(self) -> None:
        if self.fd < 0 or self.path is None:
            return
        os.close(self.fd)
        self.fd = -1
        self.path.rename(self.path.with_suffix(".sealed"))

    def close(self) -> None:
        self.seal()


def format_line(ts_ms: int, kid: str, ids: str, referrer: str, ua: str) -> str:
    """``ids`` is "workspace hex\\tlink hex", ``ua`` is "class\\tdevice\\tbot" (both cached)."""
    return f"{ts_ms}\t{kid}\t{ids}\t{referrer}\t{ua}\n"


def parse_line(line: str) -> Click | None:
    """A click, or None for a damaged line (the flusher drops it and logs why)."""
    parts = line.split("\t")
    if len(parts) != 8:
        return None
    ts, kid, workspace, link, referrer, ua_class, device, bot = parts
    try:
        return Click(
            workspace_id=uuid.UUID(hex=workspace), ts_ms=int(ts), click_id=kid[:40],
            link_id=uuid.UUID(hex=link), referrer=referrer, ua_class=ua_class, device=device,
            is_bot=bot.strip() == "1",
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class Segment:
    path: Path

    @property
    def key(self) -> str:
        return self.path.stem

    @property
    def sealed(self) -> bool:
        return self.path.suffix == ".sealed"

    @property
    def pid(self) -> int:
        try:
            return int(self.key.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            return -1

    def writer_alive(self) -> bool:
        if self.sealed or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def segments(directory: Path | str) -> list[Segment]:
    directory = Path(directory)
    if not directory.exists():
        return []
    found = [Segment(p) for p in directory.iterdir() if p.suffix in {".spool", ".sealed"}]
    return sorted(found, key=lambda s: s.key)
