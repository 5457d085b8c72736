"""Hostile and odd input at the money doors: a clear 4xx, or the item stored — never a 5xx."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from kosmmos.conftest import World, client_for
from kosmmos.links import actions
from kosmmos.links.events import get_store
from kosmmos.links.flusher import drain_once
from kosmmos.links.models import Conversion, TrackedLink
from kosmmos.links.public import signature
from kosmmos.links.redirect import RedirectApp
from kosmmos.links.tests.conftest import visit
from kosmmos.links.tests.test_money import signed_post

pytestmark = pytest.mark.django_db

HOSTILE_BODIES = [
    (b"[" * 15_000, "json_too_deep"),
    (b"{\"e\": " * 2500, "json_too_deep"),
    (b'{"event_id": "a", "amount": 1e300}', "amount_too_large"),
    (b'{"event_id": "a", "amount": 1e400}', "number_invalid"),
    (b'{"event_id": "a", "amount": Infinity}', "number_invalid"),
    (b'{"event_id": "a", "amount": "-1e20"}', "amount_negative"),
    (b'{"event_id": "a", "amount": ' + b"9" * 5000 + b"}", "number_invalid"),
    (b'{"event_id": "a", "event": "lead", "occurred_at": 1e300}', "time_invalid"),
    (b'{"event_id": "a", "event": "lead", "occurred_at": "99999999999999999999"}', "time_invalid"),
    (b'{"event_id": "a", "event": "lead", "occurred_at": 1700000000000}', "time_invalid"),
    (b'{"event_id": "a", "event": "lead", "occurred_at": "0001-01-01T00:00:00+05:00"}', "time_invalid"),
    (b'{"event_id": "a", "event": "lead", "occurred_at": "9999-12-31T23:59:59-05:00"}', "time_invalid"),
    (b'{"event_id": {"a": 1}, "event": "lead"}', "payload_invalid"),
    (b'[1, 2]', "payload_invalid"),
]


@pytest.mark.parametrize(("body", "code"), HOSTILE_BODIES, ids=[c for _b, c in HOSTILE_BODIES])
def test_it_refuses_hostile_postbacks_plainly(world: World, body: bytes, code: str) -> None:
    money = actions.money_settings(world.alpha.client_workspace)
    response = signed_post(Client(), money, None, raw=body)
    assert response.status_code == 400, response.content[:200]
    assert response.json()["error"] == code
    assert not Conversion.objects.exists()


@pytest.mark.parametrize(("body", "code"), HOSTILE_BODIES, ids=[c for _b, c in HOSTILE_BODIES])
def test_it_refuses_hostile_collected_events_plainly(world: World, body: bytes, code: str) -> None:
    money = actions.money_settings(world.alpha.client_workspace)
    response = Client().post(f"/t/c/{money.public_key}/", body, content_type="text/plain")
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert not Conversion.objects.exists()


def test_it_stores_text_the_database_cannot_hold_with_replacement_characters(world: World) -> None:
    money = actions.money_settings(world.alpha.client_workspace)
    body = b'{"event_id": "order-\\ud800-\\u0000x", "event": "\\udfffsign-up", "kid": "\\ud800"}'
    response = signed_post(Client(), money, None, raw=body)
    assert response.status_code == 201
    stored = Conversion.objects.get()
    assert (stored.event_id, stored.name, stored.click_id) == ("order-\ufffd-x", "\ufffdsign-up", "\ufffd")


def test_it_refuses_a_timestamp_header_of_thousands_of_digits(world: World) -> None:
    money = actions.money_settings(world.alpha.client_workspace)
    body = json.dumps({"event_id": "a", "event": "lead"}).encode()
    for stamp in ("9" * 5000, "9" * 400, "-5", "١٢٣"):
        response = Client().post(
            f"/t/pb/{money.public_key}/", body, content_type="application/json",
            HTTP_X_KOSMMOS_TIMESTAMP=stamp,
            HTTP_X_KOSMMOS_SIGNATURE=signature(money.postback_secret, stamp, body),
        )
        assert response.status_code == 401, stamp
    assert not Conversion.objects.exists()


def test_it_answers_a_short_link_to_an_unparseable_url_with_a_form_error(world: World) -> None:
    ws = world.alpha.client_workspace
    response = client_for(world.alpha.owner, language="en").post(f"/workspaces/{ws.pk}/money/links/new/", {
        "target_url": "http://[::1/", "network": "vk", "medium": "social",
    })
    assert response.status_code == 400
    assert "The address is not a valid URL." in response.content.decode()
    assert not TrackedLink.objects.exists()


def test_it_leaves_an_unparseable_url_in_a_post_unwrapped(world: World) -> None:
    ws = world.alpha.client_workspace
    text = "Сломано: http://[::1/ и http://[x а это https://shop.example/ok"
    wrapped = actions.wrap_links(text, workspace=ws, network="vk", post_ref="p-1")
    link = TrackedLink.objects.get(workspace=ws)
    assert wrapped == f"Сломано: http://[::1/ и http://[x а это {link.short_url}"


def test_it_counts_and_redirects_a_click_with_a_broken_referer(world: World, redirect_app: RedirectApp,
                                                               settings: Any) -> None:
    link = actions.create_link(world.alpha.client_workspace, target_url="https://shop.example/", network="vk")
    response = visit(redirect_app, f"/{link.code}", referer="http://[x")
    assert response.status_code == 302
    assert drain_once(get_store(), settings.LINKS_SPOOL_DIR) == 1
    [click] = get_store().clicks(world.alpha.client_workspace.pk, 0, 2**62)
    assert (click.link_id, click.referrer) == (link.pk, "")


def test_it_still_takes_a_good_event_after_hostile_ones(world: World) -> None:
    money = actions.money_settings(world.alpha.client_workspace)
    for body, _code in HOSTILE_BODIES:
        signed_post(Client(), money, None, raw=body)
    good = {"event_id": "real-1", "event": "purchase", "amount": "1 990,50", "occurred_at": int(time.time())}
    assert signed_post(Client(), money, good).status_code == 201
    assert list(Conversion.objects.values_list("event_id", flat=True)) == ["real-1"]
    assert json.loads(signed_post(Client(), money, good).content)["error"] == "duplicate_event"
