"""Outgoing webhooks: an organisation's URL receives its chosen events as signed JSON.

Signature as the postback's: ``X-Kosmmos-Signature: sha256=<hex HMAC-SHA256(secret,
"<X-Kosmmos-Timestamp>." + body)>``. Every attempt is a row; failures retry with backoff; a
webhook failing for a day is disabled and the owners get an email.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kosmmos.accounts.models import Membership, Role
from kosmmos.lib import crypto, http
from kosmmos.lib.mailing import send_email
from kosmmos.notifications.models import (
    Event,
    Status,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from kosmmos.notifications.queues import LEASE, webhooks

FAILING_FOR = timedelta(days=1)
BACKOFF = (1, 5, 30, 120, 600, 1800, 3600)  # seconds before attempt 2, 3, …; then hourly
TIMEOUT = 10.0


class BadWebhookUrl(ValueError):
    pass


def check_url(url: str, *, resolve: bool | None = None) -> str:
    """Like a tracked link's target, no private or loopback address; the sandbox's receiver is
    allowed where the sandbox is enabled (it is ours, for the demo and tests)."""
    url = url.strip()
    if len(url) > 500:
        raise BadWebhookUrl(_("The address is too long."))
    sandbox = settings.SANDBOX_URL + "/hooks/"
    if settings.NOTIFY_SANDBOX_HOOKS and url.startswith(sandbox) and "/" not in url[len(sandbox):]:
        return url
    try:
        return http.check_public_url(url, resolve=resolve)
    except http.UnsafeUrl as exc:
        raise BadWebhookUrl(str(exc)) from exc


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


def create_webhook(organisation: Any, url: str, kinds: list[str]) -> tuple[Webhook, str]:
    """A webhook and its secret (shown once; stored encrypted)."""
    secret = new_secret()
    hook = Webhook.objects.create(organisation=organisation, url=check_url(url), kinds=kinds,
                                  secret_encrypted=crypto.encrypt(secret))
    return hook, secret


def payload(event: Event, delivery_id: Any) -> dict[str, Any]:
    """The JSON body: documented in the README (Notifications (#16))."""
    url = event.url
    if url and not url.startswith(("http://", "https://")):
        url = settings.SITE_URL + url
    return {
        "id": str(event.pk), "delivery": str(delivery_id), "kind": event.kind,
        "severity": event.severity, "organisation": str(event.organisation_id),
        "workspace": str(event.workspace_id) if event.workspace_id else None,
        "title": event.title, "body": event.body, "url": url,
        "created_at": event.created_at.isoformat(), "data": event.payload,
    }


# A task that won one row of a webhook also sends that webhook's other due rows (one after
# another, each its own claim and attempt): a flood costs a task per webhook, not per event.
TRAIN = 200


def send(pk: Any) -> None:
    if not webhooks.start(pk, LEASE):
        return
    hook_id = WebhookDelivery.objects.filter(pk=pk).values_list("webhook_id", flat=True).first()
    sent = _send_one(pk)
    if hook_id is None:
        return
    for _turn in range(TRAIN):
        if not sent:
            return  # the receiver is failing: the others wait for their own turn
        now = timezone.now()
        due = Q(status=Status.QUEUED) | Q(status=Status.PENDING, next_attempt_at__lte=now)
        following = (WebhookDelivery.objects.filter(due, webhook_id=hook_id)
                     .order_by("created_at").values_list("pk", "status").first())
        if following is None:
            return
        if not WebhookDelivery.objects.filter(pk=following[0], status=following[1]).update(
                status=Status.SENDING, lease_until=now + LEASE):
            continue  # another sender took it
        sent = _send_one(following[0])


def _send_one(pk: Any) -> bool:
    """Send one claimed (sending) delivery; True when the receiver took it."""
    d = WebhookDelivery.objects.select_related("webhook", "event").get(pk=pk)
    hook = d.webhook
    if not hook.active:
        _settle(d, Status.FAILED, _("The webhook is disabled."))
        return False
    body = json.dumps(payload(d.event, d.pk), ensure_ascii=False, separators=(",", ":")).encode()
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Kosmmos-Event": d.event.kind,
               "X-Kosmmos-Delivery": str(d.pk), "X-Kosmmos-Timestamp": stamp,
               "X-Kosmmos-Signature": signature(crypto.decrypt(hook.secret_encrypted), stamp, body)}
    started, t0 = timezone.now(), time.monotonic()
    code: int | None = None
    error = ""
    try:
        # Checked again at send time: a name may resolve elsewhere than when it was saved.
        check_url(hook.url)
        response = http.post(hook.url, content=body, headers=headers, timeout=TIMEOUT)
        code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}: {response.text[:200]}"
    except (http.HttpError, BadWebhookUrl) as exc:
        error = str(exc)[:500]
    ms = int((time.monotonic() - t0) * 1000)
    WebhookAttempt.objects.create(delivery=d, started_at=started, duration_ms=ms,
                                  status_code=code, error=error)
    if not error:
        _settle(d, Status.SENT)
        Webhook.objects.filter(pk=hook.pk, failing_since__isnull=False).update(failing_since=None)
        return True
    _failed(d, hook, error)
    return False


def _settle(d: WebhookDelivery, status: str, error: str = "") -> None:
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=d.pk, status=Status.SENDING).update(
        status=status, lease_until=None, last_error=error, attempts=d.attempts + 1,
        sent_at=now if status == Status.SENT else None)


def _failed(d: WebhookDelivery, hook: Webhook, error: str) -> None:
    now = timezone.now()
    Webhook.objects.filter(pk=hook.pk, failing_since__isnull=True).update(failing_since=now)
    since = Webhook.objects.filter(pk=hook.pk).values_list("failing_since", flat=True).first()
    if since is not None and since <= now - FAILING_FOR:
        _settle(d, Status.FAILED, error)
        disable(hook, error)
        return
    wait = BACKOFF[min(d.attempts, len(BACKOFF) - 1)]
    WebhookDelivery.objects.filter(pk=d.pk, status=Status.SENDING).update(
        status=Status.PENDING, lease_until=None, last_error=error, attempts=d.attempts + 1,
        next_attempt_at=now + timedelta(seconds=wait))


def disable(hook: Webhook, error: str) -> bool:
    """Switch a webhook off after a day of failures and tell the owners — once (conditional)."""
    with transaction.atomic():
        if not Webhook.objects.filter(pk=hook.pk, active=True).update(
                active=False, disabled_reason=error[:300]):
            return False
        WebhookDelivery.objects.filter(webhook=hook, status__in=[Status.PENDING, Status.QUEUED]
                                       ).update(status=Status.FAILED,
                                                last_error=_("The webhook is disabled."))
        owners = list(Membership.objects.filter(organisation_id=hook.organisation_id,
                                                role=Role.OWNER, user__is_active=True)
                      .values_list("user__email", flat=True))
        if owners:
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Webhook disabled after a day of failures")
                body = _("The webhook %(url)s failed for a day and was disabled. Last error: "
                         "%(error)s\n\nTurn it on again in Settings → Notifications: %(link)s") % {
                    "url": hook.url, "error": error,
                    "link": settings.SITE_URL + "/notifications/settings/"}
            send_email(to=owners, subject=subject, body=body, kind="webhook_disabled",
                       organisation_id=hook.organisation_id)
    return True


def enable(hook: Webhook) -> None:
    Webhook.objects.filter(pk=hook.pk).update(active=True, failing_since=None, disabled_reason="")
