"""The embedded set-up's shared cache: Django's file cache with atomic ``add`` and ``incr``.

Rate limits count in the cache, and with the file cache two processes (the web server and the
workers are separate processes) could both read 4, both write 5 and both let a request through.
Here ``add`` and ``incr`` hold an exclusive lock on one file beside the cache, so a
check-and-count is atomic across every process on the machine — which is the whole embedded
set-up. With ``REDIS_URL`` the cache is Redis, whose ``INCR`` is atomic by itself.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache


class LockedFileCache(FileBasedCache):
    _dir: str  # set by FileBasedCache.__init__; the stubs do not declare it

    @contextmanager
    def _locked(self) -> Iterator[None]:
        os.makedirs(self._dir, exist_ok=True)
        with open(os.path.join(self._dir, "counters.lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add(self, key: str, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        with self._locked():
            return super().incr(key, delta, version)
