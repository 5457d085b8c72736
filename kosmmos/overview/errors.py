"""The pages of 403, 404 and 500 in the product's layout (``handler403/404/500`` in urls.py).

One rule, applied by the access helpers (``kosmmos/accounts/access.py``): an object of another
organisation or client is a 404 — its existence is not revealed; a page that exists but the
member's role may not open is a 403 that says so. The 500 page renders without the database
(the error may be the database), in the layout without the menu.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template import loader


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    body = loader.render_to_string("errors/404.html", {}, request)
    return HttpResponse(body, status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    body = loader.render_to_string("errors/403.html", {}, request)
    return HttpResponse(body, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    body = loader.render_to_string("errors/500.html", {"request": request})
    return HttpResponse(body, status=500)


class FormAddressMiddleware:
    """A form's address typed or reloaded in the browser (``GET`` on a POST-only view) is a
    page saying so in the layout, not Django's empty 405; the API keeps its own JSON answers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (response.status_code == 405 and request.method == "GET"
                and not getattr(response, "content", b"x")
                and not request.path.startswith("/api/")):
            body = loader.render_to_string("errors/405.html", {}, request)
            page = HttpResponse(body, status=405)
            page["Allow"] = response.get("Allow", "POST")
            return page
        return response
