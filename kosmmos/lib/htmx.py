"""Whether a request was made by htmx (the ``HX-Request`` header), typed for the views."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


def is_htmx(request: HttpRequest) -> bool:
    """What ``bool(request.htmx)`` says; ``request.htmx`` is set by django-htmx's middleware,
    which Django's request type does not declare."""
    return bool(HtmxDetails(request))
