"""Events and webhooks through the API: the organisation's own only, URLs checked, secrets once."""

from __future__ import annotations

import pytest

from kosmmos.api.tests.conftest import api_as
from kosmmos.conftest import World
from kosmmos.lib import crypto
from kosmmos.lib.events import emit
from kosmmos.notifications.models import Webhook

pytestmark = pytest.mark.django_db


def test_it_lists_only_the_organisations_events_with_filters(world: World) -> None:
    a, b = world.alpha, world.beta
    emit("post.failed", organisation=a.org, title="Alpha failed", workspace=a.client_workspace)
    emit("lead.created", organisation=a.org, title="Alpha lead")
    emit("post.failed", organisation=b.org, title="Beta secret")
    api = api_as(a.analyst, a.org)
    titles = [e["title"] for e in api.get("/events").json()["results"]]
    assert sorted(titles) == ["Alpha failed", "Alpha lead"]
    only = api.get("/events", kind="lead.created").json()["results"]
    assert [e["title"] for e in only] == ["Alpha lead"]
    assert api.get("/events", kind="no.such").status_code == 400


def test_it_creates_a_webhook_with_its_secret_once_and_refuses_private_urls(world: World) -> None:
    a = world.alpha
    api = api_as(a.owner, a.org)
    made = api.post("/webhooks", {"url": "https://93.184.216.34/h", "kinds": ["post.failed"]})
    body = made.json()
    assert made.status_code == 201 and body["secret"].startswith("whsec_")
    hook = Webhook.objects.get(pk=body["id"])
    assert crypto.decrypt(hook.secret_encrypted) == body["secret"]
    assert "secret" not in api.get("/webhooks").json()[0]
    for url in ("http://127.0.0.1/x", "http://192.168.1.1/", "file:///etc/passwd", "x" * 600):
        refused = api.post("/webhooks", {"url": url})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "validation_failed"
    assert api.post("/webhooks", {"url": "https://93.184.216.34/h", "kinds": ["nope"]}
                    ).status_code == 400
    assert Webhook.objects.count() == 1
    beta = api_as(world.beta.owner, world.beta.org)
    assert beta.post(f"/webhooks/{hook.pk}/disable").status_code == 404
    assert api.post(f"/webhooks/{hook.pk}/disable").json()["active"] is False
