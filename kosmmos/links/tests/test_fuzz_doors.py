"""Hostile JSON and form input fired at the public doors: no 5xx, nothing stored from a refused
request, a good item never lost. Bounded: each test runs a fixed number of examples."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kosmmos.briefs.models import Brief
from kosmmos.briefs.tests.test_public_form import VALID
from kosmmos.conftest import World
from kosmmos.links import actions
from kosmmos.links.models import Conversion
from kosmmos.links.redirect import RedirectApp
from kosmmos.links.tests.conftest import visit
from kosmmos.links.tests.test_money import signed_post

pytestmark = pytest.mark.django_db

BOUNDED = settings(max_examples=60, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large])

WEIRD = ["\x00", "\ud800", "\udfff", "\u202e", "\u200b", "\u200d", "\ufeff", "\u2028", "\r", "\n", "😀", "ﷺ"]
text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(WEIRD)), max_size=40)
huge_text = st.integers(min_value=1000, max_value=20_000).map(lambda n: "Ы\u200b" * n)
numbers = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["1e300", "-1e20", "9" * 25, "Infinity", "NaN"]))
scalars = st.one_of(st.none(), st.booleans(), numbers, text, huge_text)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(text, inner, max_size=3), max_leaves=8)
FIELDS = ["event_id", "order_id", "event", "amount", "currency", "occurred_at", "kid", "ym_client_id"]
events = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)


def _dump(value: Any) -> bytes:
    try:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    except ValueError:  # NaN and friends as Python writes them
        return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


raw_bodies = st.one_of(
    events.map(_dump),
    st.integers(min_value=1, max_value=15_000).map(lambda n: b"[" * n),
    st.integers(min_value=1, max_value=2_500).map(lambda n: b'{"a":' * n),
    st.sampled_from([b'{"event_id": "x", "amount": 1e400}', b'{"event_id": "x", "amount": ' + b"9" * 5000 + b"}",
                     b'{"event_id": "\\ud800", "event": "lead"}', b"\xff\xfe\x00", b"", b"null", b'"x"']),
    st.binary(max_size=300),
)


def _good_event(n: int) -> dict[str, Any]:
    return {"event_id": f"good-{n}", "event": "purchase", "amount": "990.00", "occurred_at": int(time.time())}


def test_it_survives_hostile_postbacks(world: World) -> None:
    money = actions.money_settings(world.alpha.client_workspace)
    seen: list[int] = []

    @BOUNDED
    @given(raw_bodies)
    def fire(body: bytes) -> None:
        before = Conversion.objects.count()
        response = signed_post(Client(), money, None, raw=body)
        assert response.status_code < 500
        if response.status_code >= 400:
            assert Conversion.objects.count() == before
        seen.append(response.status_code)

    fire()
    assert seen
    assert signed_post(Client(), money, _good_event(1)).status_code == 201
    assert Conversion.objects.filter(event_id="good-1").count() == 1


def test_it_survives_hostile_collected_events(world: World, settings: Any) -> None:
    settings.LINKS_COLLECT_RATE_LIMIT = 10_000
    money = actions.money_settings(world.alpha.client_workspace)
    url = f"/t/c/{money.public_key}/"

    @BOUNDED
    @given(raw_bodies, st.sampled_from(["", "https://shop.example", "http://[x", "null", "\u202eevil"]))
    def fire(body: bytes, origin: str) -> None:
        before = Conversion.objects.count()
        headers = {"HTTP_ORIGIN": origin} if origin else {}
        response = Client().post(url, body, content_type="text/plain", **headers)
        assert response.status_code < 500
        if response.status_code >= 400:
            assert Conversion.objects.count() == before

    fire()
    assert Client().post(url, json.dumps(_good_event(2)), content_type="text/plain").status_code == 201


def test_it_survives_hostile_briefs(world: World, settings: Any) -> None:
    settings.BRIEF_RATE_LIMIT = 10_000
    code = world.alpha.org.brief_code
    form_fields = ["country", "regions", "cities", "kpis", "contact_name", "company", "phone", "email",
                   "website", "messenger_handle", "budget_rub", "period_months", "product_type", "networks"]

    @BOUNDED
    @given(st.dictionaries(st.sampled_from(form_fields), st.one_of(text, huge_text, numbers.map(str)),
                           min_size=1, max_size=4))
    def fire(changes: dict[str, str]) -> None:
        data = {**VALID, **changes}
        before = Brief.objects.count()
        response = Client().post(f"/brief/{code}/", data, REMOTE_ADDR="10.20.30.40")
        assert response.status_code < 500
        if response.status_code >= 400:
            assert Brief.objects.count() == before
        else:
            assert Brief.objects.count() == before + 1

    fire()
    assert Client().post(f"/brief/{code}/", {**VALID, "email": "last@romashka.ru"},
                         REMOTE_ADDR="10.20.30.41").status_code == 302
    assert Brief.objects.filter(email="last@romashka.ru").count() == 1


def test_it_survives_hostile_clicks(world: World, redirect_app: RedirectApp) -> None:
    link = actions.create_link(world.alpha.client_workspace, target_url="https://shop.example/", network="vk")
    header = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200)  # httpx sends ASCII

    @BOUNDED
    @given(st.one_of(st.just(link.code), text.map(lambda t: quote(t, safe=""))), header, header)
    def fire(code: str, referer: str, agent: str) -> None:
        response = visit(redirect_app, f"/{code}", referer=referer or "http://[x", ua=agent)
        assert response.status_code < 500
        if code == link.code:
            assert response.status_code == 302

    fire()
    assert redirect_app.served >= 1


def test_it_survives_hostile_approval_and_proposal_links(world: World) -> None:
    @BOUNDED
    @given(text.map(lambda t: quote(t, safe="")), st.dictionaries(text, st.one_of(text, huge_text), max_size=3),
           st.sampled_from(["approve/{}/", "p/{}/", "p/{}/accept/", "p/{}/changes/", "p/{}/pdf/"]))
    def fire(token: str, form: dict[str, str], door: str) -> None:
        url = "/" + door.format(token or "x")
        assert Client().get(url).status_code < 500
        assert Client().post(url, form).status_code < 500

    fire()
