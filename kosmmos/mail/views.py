from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosmmos.accounts.access import current_membership, membership_in, require_role, staff_required
from kosmmos.accounts.models import STAFF_ROLES, Membership
from kosmmos.mail import delivery as mail
from kosmmos.mail.models import Delivery, Status


def get_delivery_for_user(
    request: HttpRequest, delivery_id: uuid.UUID
) -> tuple[Delivery, Membership]:
    """An email of one of the user's organisations, for owners and managers only."""
    found = Delivery.objects.filter(pk=delivery_id, organisation__isnull=False).first()
    if found is None:
        raise Http404
    membership = membership_in(request, found.organisation_id)
    require_role(membership, STAFF_ROLES)
    return found, membership


@staff_required
def outbox(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    rows = Delivery.objects.filter(organisation=membership.organisation)
    status = request.GET.get("status", "")
    if status in Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    failed = Delivery.objects.filter(
        organisation=membership.organisation, status=Status.FAILED
    ).count()
    return render(request, "mail/outbox.html", {
        "page": page, "status": status, "statuses": Status.choices, "failed": failed,
    })


@staff_required
def delivery_detail(request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
    found, _membership = get_delivery_for_user(request, delivery_id)
    return render(request, "mail/delivery_detail.html", {
        "delivery": found, "attempts": found.attempt_rows.all(),
        "attachments": found.attachments.all(),
    })


@require_POST
@staff_required
def delivery_retry(request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
    found, _membership = get_delivery_for_user(request, delivery_id)
    if mail.retry(found):
        messages.success(request, _("The email is queued to be sent again."))
    else:
        messages.info(request, _("This email is not failed; nothing to retry."))
    return redirect("mail:delivery_detail", delivery_id=found.pk)
