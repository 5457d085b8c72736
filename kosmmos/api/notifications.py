"""The event stream and outgoing webhooks in the API: list events, manage an organisation's
webhooks (owners), read a webhook's deliveries with their attempts."""


import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import ConfigDict

from kosmmos.accounts.models import AGENCY_ROLES, Role
from kosmmos.api import errors
from kosmmos.api.idempotency import idempotent
from kosmmos.api.pagination import CursorPagination
from kosmmos.api.schemas import _moment, _one_of, choice
from kosmmos.api.security import READ, WRITE, caller
from kosmmos.api.text import gettext_lazy
from kosmmos.lib import crypto
from kosmmos.notifications import webhooks as hooks
from kosmmos.notifications.kinds import KINDS
from kosmmos.notifications.models import Event as EventRow
from kosmmos.notifications.models import Severity, Status
from kosmmos.notifications.models import Webhook as WebhookRow

router = Router(auth=READ)
KIND_CODES = list(KINDS)


class Event(Schema):
    id: uuid.UUID
    kind: str
    severity: choice(Severity.values)  # type: ignore[valid-type]  # a type built at run time
    workspace_id: uuid.UUID | None
    title: str
    body: str
    url: str
    payload: dict[str, Any]
    created_at: datetime


class EventFilters(Schema):
    kind: _one_of(KIND_CODES) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, description=gettext_lazy("Only this kind."))
    since: _moment(end_of_day=False) = Field(  # type: ignore[valid-type]  # a type built at run time
        default=None, description=gettext_lazy("Raised at or after (date or date-time)."))


class Webhook(Schema):
    id: uuid.UUID
    url: str
    kinds: list[str]
    active: bool
    failing_since: datetime | None
    disabled_reason: str
    created_at: datetime


class WebhookCreated(Webhook):
    secret: str


class WebhookIn(Schema):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(json_schema_extra={"maxLength": 500})
    kinds: list[choice(KIND_CODES)] = Field(  # type: ignore[valid-type]  # a type built at run time
        default_factory=list, description=gettext_lazy("Event kinds to send; empty: all."))


class Attempt(Schema):
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str


class WebhookDelivery(Schema):
    id: uuid.UUID
    event_id: uuid.UUID
    status: choice(Status.values)  # type: ignore[valid-type]  # a type built at run time
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    tries: list[Attempt]

    @staticmethod
    def resolve_tries(row: Any) -> list[Any]:
        return list(row.attempts_made.all()[:20])


def _owner(request: HttpRequest) -> Any:
    membership = caller(request).membership
    if membership.role != Role.OWNER:
        raise errors.forbidden()
    return membership


def _hook(request: HttpRequest, webhook_id: uuid.UUID) -> WebhookRow:
    membership = _owner(request)
    found = WebhookRow.objects.filter(pk=webhook_id, organisation=membership.organisation).first()
    if found is None:
        raise errors.not_found()
    return found


@router.get("/events", response=list[Event], operation_id="listEvents", url_name="listEvents",
            summary=gettext_lazy("The organisation's events, newest last (agency roles)"),
            tags=["notifications"])
@paginate(CursorPagination, field="created_at")
def list_events(request: HttpRequest, filters: Query[EventFilters]) -> Any:
    membership = caller(request).membership
    if membership.role not in AGENCY_ROLES:
        raise errors.forbidden()
    rows = EventRow.objects.filter(organisation=membership.organisation)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.since is not None:
        rows = rows.filter(created_at__gte=filters.since)
    return rows


@router.get("/webhooks", response=list[Webhook], operation_id="listWebhooks",
            url_name="listWebhooks", summary=gettext_lazy("Outgoing webhooks (owners)"),
            tags=["notifications"])
def list_webhooks(request: HttpRequest) -> Any:
    return list(WebhookRow.objects.filter(organisation=_owner(request).organisation))


@router.post("/webhooks", response={201: WebhookCreated}, auth=WRITE,
             operation_id="createWebhook", url_name="createWebhook",
             summary=gettext_lazy("Add a webhook; its signing secret is in this answer only"),
             tags=["notifications"])
@idempotent(201)
def create_webhook(request: HttpRequest, body: WebhookIn) -> Any:
    membership = _owner(request)
    try:
        hook, secret = hooks.create_webhook(membership.organisation, body.url,
                                            list(dict.fromkeys(body.kinds)))
    except hooks.BadWebhookUrl as exc:
        raise errors.invalid({"url": [str(exc)]}) from exc
    return WebhookCreated(**Webhook.from_orm(hook).dict(), secret=secret)


def _action(name: str, operation_id: str, summary: Any, act: Any) -> None:
    def view(request: HttpRequest, webhook_id: uuid.UUID) -> Any:
        hook = _hook(request, webhook_id)
        act(hook)
        hook.refresh_from_db()
        return Webhook.from_orm(hook)

    view.__name__ = f"{name}_webhook"
    router.post(f"/webhooks/{{uuid:webhook_id}}/{name}", response=Webhook, auth=WRITE,
                operation_id=operation_id, url_name=operation_id, summary=summary,
                tags=["notifications"])(idempotent(200)(view))


_action("enable", "enableWebhook", gettext_lazy("Turn a webhook on again"), hooks.enable)
_action("disable", "disableWebhook", gettext_lazy("Turn a webhook off"),
        lambda h: WebhookRow.objects.filter(pk=h.pk).update(active=False))


@router.post("/webhooks/{uuid:webhook_id}/secret", response=WebhookCreated, auth=WRITE,
             operation_id="rotateWebhookSecret", url_name="rotateWebhookSecret",
             summary=gettext_lazy("Replace a webhook's signing secret (in this answer only)"),
             tags=["notifications"])
@idempotent(200)
def rotate_secret(request: HttpRequest, webhook_id: uuid.UUID) -> Any:
    hook = _hook(request, webhook_id)
    secret = hooks.new_secret()
    WebhookRow.objects.filter(pk=hook.pk).update(secret_encrypted=crypto.encrypt(secret))
    return WebhookCreated(**Webhook.from_orm(hook).dict(), secret=secret)


@router.get("/webhooks/{uuid:webhook_id}/deliveries", response=list[WebhookDelivery],
            operation_id="listWebhookDeliveries", url_name="listWebhookDeliveries",
            summary=gettext_lazy("A webhook's deliveries with their attempts"),
            tags=["notifications"])
@paginate(CursorPagination, field="created_at")
def list_deliveries(request: HttpRequest, webhook_id: uuid.UUID) -> Any:
    return _hook(request, webhook_id).deliveries.prefetch_related("attempts_made")


@router.post("/webhooks/{uuid:webhook_id}/delete", response=Webhook, auth=WRITE,
             operation_id="deleteWebhook", url_name="deleteWebhook",
             summary=gettext_lazy("Delete a webhook and its deliveries; answers what it was"),
             tags=["notifications"])
@idempotent(200)
def delete_webhook(request: HttpRequest, webhook_id: uuid.UUID) -> Any:
    hook = _hook(request, webhook_id)
    gone = Webhook.from_orm(hook)
    hook.delete()
    return gone
