from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from kosmmos.accounts.access import current_membership, member_required
from kosmmos.accounts.models import Role
from kosmmos.briefs.models import Lead, LeadStatus
from kosmmos.mail.models import Delivery, Status
from kosmmos.overview import client_home, rows


@member_required
def home(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    org = membership.organisation
    workspaces = membership.visible_workspaces().order_by("name")
    context: dict[str, object] = {"workspaces": workspaces}
    if membership.is_agency:
        leads = Lead.objects.filter(organisation=org)
        context.update({
            "new_leads": leads.filter(status=LeadStatus.NEW).count(),
            "open_leads": leads.exclude(status__in=[LeadStatus.WON, LeadStatus.LOST]).count(),
            "won_leads": leads.filter(status=LeadStatus.WON).count(),
            "recent_leads": leads.select_related("brief")[:6],
            "failed_emails": Delivery.objects.filter(
                organisation=org, status=Status.FAILED
            ).count(),
            "rows": rows.workspace_rows(workspaces),
        })
    elif membership.role == Role.CLIENT:
        context.update(client_home.context(list(workspaces), membership.organisation))
    return render(request, "overview/home.html", context)


def index(request: HttpRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        return home(request)
    return redirect("accounts:login")


def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker state, for load balancers and `kosmmos bench boot`."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"ok": healthy, **checks}, status=200 if healthy else 503)


def _check_database() -> dict[str, object]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "vendor": connection.vendor, "ms": _ms(started)}


def _check_broker() -> dict[str, object]:
    started = time.monotonic()
    if not settings.REDIS_URL:
        if not settings.BROKER_DIR.is_dir():
            # Like the Redis branch: a failed check says why, so support starts from the text.
            error = f"the broker folder {settings.BROKER_DIR} does not exist"
            return {"ok": False, "kind": "filesystem", "error": error}
        return {"ok": True, "kind": "filesystem", "ms": _ms(started)}
    try:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
        client.ping()
    except Exception as exc:
        return {"ok": False, "kind": "redis", "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "kind": "redis", "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 2)
