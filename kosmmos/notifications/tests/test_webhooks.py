"""Outgoing webhooks: the signed payload, attempts and backoff, switching off after a day."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from django.utils import timezone

from kosmmos.conftest import World
from kosmmos.lib import crypto
from kosmmos.lib.events import emit
from kosmmos.mail.models import Delivery as Email
from kosmmos.notifications import webhooks
from kosmmos.notifications.dispatch import dispatch_webhooks
from kosmmos.notifications.fanout import fan_out
from kosmmos.notifications.models import Status, Webhook, WebhookDelivery

URL = "https://93.184.216.34/kosmmos"


def _hook(world: World, kinds: list[str] | None = None) -> tuple[Webhook, str]:
    return webhooks.create_webhook(world.alpha.org, URL, kinds or [])


def _event(world: World, kind: str = "post.failed") -> Any:
    return emit(kind, organisation=world.alpha.org, workspace=world.alpha.client_workspace,
                title="Пост не вышел", body="VK error 15", url="/content/posts/1/",
                payload={"network": "vk"})


@pytest.mark.django_db
def test_it_posts_a_verifiable_signed_payload(world: World) -> None:
    hook, secret = _hook(world)
    assert secret.startswith("whsec_") and crypto.decrypt(hook.secret_encrypted) == secret
    event = _event(world)
    with respx.mock() as net:
        route = net.post(URL).respond(204)
        fan_out(event.pk)
    request = route.calls.last.request
    stamp = request.headers["X-Kosmmos-Timestamp"]
    assert request.headers["X-Kosmmos-Signature"] == webhooks.signature(
        secret, stamp, request.content)
    body = json.loads(request.content)
    d = WebhookDelivery.objects.get()
    assert body == {
        "id": str(event.pk), "delivery": str(d.pk), "kind": "post.failed", "severity": "urgent",
        "organisation": str(world.alpha.org.pk), "workspace": str(world.alpha.client_workspace.pk),
        "title": "Пост не вышел", "body": "VK error 15",
        "url": "http://kosmmos.test/content/posts/1/",
        "created_at": event.created_at.isoformat(), "data": {"network": "vk"}}
    assert request.headers["X-Kosmmos-Delivery"] == str(d.pk)
    assert d.status == Status.SENT and d.attempts_made.get().status_code == 204


@pytest.mark.django_db
def test_it_sends_only_the_chosen_kinds(world: World) -> None:
    _hook(world, ["lead.created"])
    fan_out(_event(world).pk)
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_it_retries_with_backoff_and_keeps_every_attempt(world: World) -> None:
    _hook(world)
    with respx.mock() as net:
        net.post(URL).mock(side_effect=[httpx.Response(500, text="boom"), httpx.Response(200)])
        fan_out(_event(world).pk)
        d = WebhookDelivery.objects.get()
        assert d.status == Status.PENDING and d.last_error == "HTTP 500: boom"
        assert 0 < (d.next_attempt_at - timezone.now()).total_seconds() <= 1
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        dispatch_webhooks()
    d.refresh_from_db()
    assert d.status == Status.SENT and d.attempts == 2
    assert [a.status_code for a in d.attempts_made.order_by("started_at")] == [500, 200]


@pytest.mark.django_db
def test_it_disables_a_webhook_failing_for_a_day_and_tells_the_owners(world: World) -> None:
    hook, _ = _hook(world)
    Webhook.objects.update(failing_since=timezone.now() - timedelta(days=1, minutes=1))
    with respx.mock() as net:
        net.post(URL).mock(side_effect=httpx.ConnectError("refused"))
        fan_out(_event(world).pk)
        fan_out(_event(world, "lead.created").pk)
    hook.refresh_from_db()
    assert not hook.active and "refused" in hook.disabled_reason
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.FAILED}
    email = Email.objects.get(kind="webhook_disabled")
    assert email.to == [world.alpha.owner.email] and URL in email.body


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/x", "http://10.0.0.5/hook", "http://[::1]/h", "http://169.254.169.254/",
    "ftp://example.com/", "javascript:alert(1)", "http://localhost/x", "https://" + "a" * 600,
])
def test_it_refuses_private_and_odd_addresses(url: str, settings: Any) -> None:
    settings.KOSMMOS_RESOLVE_URLS = True
    with pytest.raises(webhooks.BadWebhookUrl):
        webhooks.check_url(url)


def test_it_allows_the_sandbox_receiver_only(settings: Any) -> None:
    settings.SANDBOX_URL = "http://127.0.0.1:8002"
    assert webhooks.check_url("http://127.0.0.1:8002/hooks/demo")
    with pytest.raises(webhooks.BadWebhookUrl):
        webhooks.check_url("http://127.0.0.1:8002/channels/x/posts")
    settings.NOTIFY_SANDBOX_HOOKS = False
    with pytest.raises(webhooks.BadWebhookUrl):
        webhooks.check_url("http://127.0.0.1:8002/hooks/demo")
