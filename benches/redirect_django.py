"""The same redirect as a plain Django view, for `kosmmos bench redirect` to compare with.

Mounted by ``benches/redirect_settings.py`` (its own ROOT_URLCONF), never by the product's
URLconf. Same work as the ASGI app: a dict of links loaded once, a kid, one spool line per click.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.urls import path

from kosmmos.links.classify import classify
from kosmmos.links.redirect import NOT_FOUND_HTML, Entry, LinkSource
from kosmmos.links.spool import format_line

_state: dict[str, Any] = {}  # the links, the click-id maker and the spool writer, loaded once
_lock = threading.Lock()


def _links() -> dict[str, Entry]:
    with _lock:
        return _load()


def _load() -> dict[str, Entry]:
    if "links" not in _state:
        from django.conf import settings

        from kosmmos.links.clickids import KidMaker
        from kosmmos.links.spool import SpoolWriter

        found, _ = LinkSource().load()
        _state["links"] = {k: v for k, v in found.items() if v is not None}
        _state["kids"] = KidMaker()
        _state["spool"] = SpoolWriter(settings.LINKS_SPOOL_DIR)
    return _state["links"]


def follow(request: HttpRequest, code: str) -> HttpResponse:
    entry = _links().get(code)
    if entry is None:
        return HttpResponseNotFound(NOT_FOUND_HTML)
    now = time.time()
    kid = _state["kids"].make(code, now)
    host = request.META.get("HTTP_REFERER", "")
    _state["spool"].write(format_line(
        int(now * 1000), kid, entry.ids, host[:0], classify(request.META.get("HTTP_USER_AGENT", "")[:512])))
    response = HttpResponseRedirect(entry.before + kid + entry.fragment)
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [path("<str:code>", follow)]
