from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from kosmmos.accounts.models import Membership

SESSION_KEY = "kosmmos_org"


class OrganisationMiddleware:
    """Sets ``request.membership`` (the organisation the user works in) and its time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = self._membership(request)  # type: ignore[attr-defined]
        if request.membership is not None:  # type: ignore[attr-defined]
            tz = request.membership.organisation.timezone  # type: ignore[attr-defined]
            timezone.activate(zoneinfo.ZoneInfo(tz))
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
