"""Pages around the API: personal tokens and the human-readable docs.

The token pages are ordinary session pages (CSRF-protected); the API itself never accepts a
session.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime, time

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kosmmos.accounts.access import current_membership, member_required
from kosmmos.accounts.models import Membership, Role
from kosmmos.api import tokens
from kosmmos.api.app import BASE, api
from kosmmos.api.forms import TokenForm
from kosmmos.api.models import ApiToken


def _visible_tokens(membership: Membership) -> QuerySet[ApiToken]:
    """Your own tokens in this organisation; owners see (and may revoke) everyone's."""
    found = ApiToken.objects.filter(organisation=membership.organisation).select_related("user")
    if membership.role != Role.OWNER:
        found = found.filter(user=membership.user)
    return found


def get_token_for_user(request: HttpRequest, token_id: uuid.UUID) -> ApiToken:
    membership = current_membership(request)
    found = _visible_tokens(membership).filter(pk=token_id).first()
    if found is None:
        raise Http404
    return found


@member_required
def token_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    issued = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            day = form.cleaned_data["expires_on"]
            zone = zoneinfo.ZoneInfo(membership.organisation.timezone)
            expires = datetime.combine(day, time.max, zone) if day else None
            _token, issued = tokens.issue_token(
                membership, name=form.cleaned_data["name"],
                read_only=form.cleaned_data["read_only"], expires_at=expires)
            form = TokenForm()
        else:
            status = 400
    response = render(request, "api/tokens.html", {
        "form": form, "issued": issued, "tokens": _visible_tokens(membership),
        "is_owner": membership.role == Role.OWNER, "api_base": f"{settings.SITE_URL}{BASE}",
    }, status=status)
    if issued:
        # The page carries the only copy of the secret: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@member_required
def token_revoke(request: HttpRequest, api_token_id: uuid.UUID) -> HttpResponse:
    token = get_token_for_user(request, api_token_id)
    if tokens.revoke_token(token):
        messages.success(request, _("The token «%(name)s» is revoked.") % {"name": token.name})
    return redirect("api:tokens")


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The API described for people (a public page): the conventions, every operation from the
    OpenAPI document, and Swagger UI (served from ninja's static files) to try them."""
    document = api.spec()
    operations = [{
        "method": method.upper(), "path": f"{BASE}{route}", "summary": operation["summary"],
        "write": method == "post",
        "query": [p for p in operation["parameters"] if p["in"] == "query"],
    } for route, methods in document["paths"].items() for method, operation in methods.items()]
    return render(request, "api/docs.html", {
        "operations": operations, "api_base": f"{settings.SITE_URL}{BASE}",
        "swagger_settings": {"url": reverse("api:v1:openapi-json"), "layout": "BaseLayout",
                             "deepLinking": True, "persistAuthorization": False},
    })
