from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from kosmmos.accounts.models import Membership

SESSION_KEY = "kosmmos_org"
SUPPORTED = {code for code, _ in settings.LANGUAGES}


class LanguageMiddleware:
    """Russian unless the person chose otherwise (cookie, then their profile).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: our users work in
    Russian even on English-language systems, and the switch in the header is one click away.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = pick_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response


def pick_language(request: HttpRequest) -> str:
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in SUPPORTED:
        return cookie
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return str(user.language)
    return str(settings.LANGUAGE_CODE)


class OrganisationMiddleware:
    """Sets ``request.membership`` (the organisation the user works in) and its time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = self._membership(request)
        request.membership = membership  # type: ignore[attr-defined]  # ours; read by accounts/access.py
        if membership is not None:
            timezone.activate(zoneinfo.ZoneInfo(membership.organisation.timezone))
        else:
            timezone.deactivate()
        return self.get_response(request)

    @staticmethod
    def _membership(request: HttpRequest) -> Membership | None:
        if not request.user.is_authenticated:
            return None
        memberships = Membership.objects.select_related("organisation").filter(user=request.user)
        chosen = request.session.get(SESSION_KEY)
        if chosen:
            found = memberships.filter(organisation_id=chosen).first()
            if found:
                return found
        return memberships.order_by("created_at").first()
