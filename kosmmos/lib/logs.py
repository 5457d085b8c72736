"""Logging helpers used by ``LOGGING`` in settings."""

from __future__ import annotations

import logging


class Ordinary4xx(logging.Filter):
    """Django logs a 403 or 404 as a warning with the exception's traceback. A user opening a
    page their role may not see is not an event for the console: ``drop=True`` (the console)
    leaves such records out; otherwise (the log file) they keep one line without the
    traceback. Server errors (5xx) are untouched."""

    def __init__(self, drop: bool = False) -> None:
        super().__init__()
        self.drop = drop

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", 0)
        if record.name == "django.request" and 400 <= int(status or 0) < 500:
            if self.drop:
                return False
            record.exc_info = None
            record.exc_text = None
        return True
