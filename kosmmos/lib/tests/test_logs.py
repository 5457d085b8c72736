"""A quiet console: ordinary 403/404 never reach it and lose their traceback in the file."""

from __future__ import annotations

import logging
import sys

from django.conf import settings

from kosmmos.lib.logs import Ordinary4xx


def record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("no")
    except PermissionError:
        exc = sys.exc_info()
    found = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: /x/",
                              None, exc)
    found.status_code = status
    return found


def test_it_keeps_an_ordinary_403_off_the_console_and_short_in_the_file() -> None:
    assert not Ordinary4xx(drop=True).filter(record(403))
    short = record(404)
    assert Ordinary4xx().filter(short) and short.exc_info is None


def test_it_keeps_a_server_error_with_its_traceback_everywhere() -> None:
    error = record(500)
    assert Ordinary4xx(drop=True).filter(error) and error.exc_info is not None


def test_it_logs_to_a_rotated_file_under_var_and_warnings_to_the_console() -> None:
    handlers = settings.LOGGING["handlers"]
    assert handlers["console"]["level"] == "WARNING"
    assert handlers["file"]["class"] == "logging.handlers.RotatingFileHandler"
    assert handlers["file"]["filename"].startswith(str(settings.VAR_DIR))
    assert handlers["file"]["backupCount"] > 0 and handlers["file"]["maxBytes"] > 0
