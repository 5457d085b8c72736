"""Conversions, revenue, costs and the P&L: postbacks, the site snippet's collect, imports,
Metrica, and the whole loop from a post text to revenue on the P&L page."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from kosmmos.conftest import World, client_for
from kosmmos.links import actions, metrica
from kosmmos.links.events import get_store
from kosmmos.links.flusher import drain_once
from kosmmos.links.models import Conversion, CostEntry, MetricaUpload, TrackedLink, UploadStatus
from kosmmos.links.redirect import RedirectApp
from kosmmos.links.rollups import rollup_all
from kosmmos.links.tests.conftest import visit

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


def signed_post(browser: Client, money: Any, payload: Any, *, stamp: int | None = None,
                secret: str | None = None, raw: bytes | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    ts = str(int(time.time()) if stamp is None else stamp)
    mac = hmac.new((secret or money.postback_secret).encode(), ts.encode() + b"." + body, hashlib.sha256)
    return browser.post(f"/t/pb/{money.public_key}/", body, content_type="application/json",
                        HTTP_X_KOSMMOS_TIMESTAMP=ts, HTTP_X_KOSMMOS_SIGNATURE="sha256=" + mac.hexdigest())


def test_it_attributes_revenue_from_a_post_to_the_pnl(world: World, redirect_app: RedirectApp,
                                                       settings: Any) -> None:
    ws = world.alpha.client_workspace
    ws.organisation.show_costs_to_clients = True  # this agency shows its client the costs
    ws.organisation.save(update_fields=["show_costs_to_clients"])
    text = actions.wrap_links("Новая коллекция: https://shop.example/new", workspace=ws,
                              network="vk", post_ref="post-1001", campaign="Осень")
    link = TrackedLink.objects.get(workspace=ws)
    assert text == f"Новая коллекция: {link.short_url}"
    # A reader clicks the short link in the post.
    response = visit(redirect_app, urlsplit(link.short_url).path, referer="https://vk.com/feed")
    kid = parse_qs(urlsplit(response.headers["location"]).query)["kid"][0]
    visit(redirect_app, urlsplit(link.short_url).path, ua="vkShare; +http://vk.com/dev/Share")
    drain_once(get_store(), settings.LINKS_SPOOL_DIR)
    rollup_all()
    # The shop's server reports the purchase with the kid it kept.
    money = actions.money_settings(ws)
    answer = signed_post(Client(), money, {"event_id": "order-1", "event": "purchase",
                                           "amount": "4990.00", "currency": "RUB", "kid": kid})
    assert answer.status_code == 201, answer.content
    assert answer.json()["attributed"] is True
    conversion = Conversion.objects.get(workspace=ws)
    assert conversion.link == link and conversion.amount == Decimal("4990.00")
    actions.add_cost(ws, month=timezone.localdate(), category="ad_spend", amount=Decimal("1000"))
    page = client_for(world.alpha.client, language="en").get(f"/workspaces/{ws.pk}/money/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "4\u202f990\u00a0₽" in html  # revenue
    assert "3\u202f990\u00a0₽" in html  # profit
    assert "1 bot excluded" in html
    figures = page.context["figures"]
    assert (figures.clicks, figures.conversions, figures.attributed) == (1, 1, 1)
    assert figures.conversion_rate == 100.0 and figures.cpc == Decimal("1000.00")
    assert figures.roi == pytest.approx(399.0) and figures.profit_per_check == pytest.approx(3990 / 4990)
    # Every figure drills down to its rows.
    drill = client_for(world.alpha.client, language="en")
    assert "order-1" in drill.get(f"/workspaces/{ws.pk}/money/conversions/?kind=purchase").content.decode()
    assert kid in drill.get(f"/workspaces/{ws.pk}/money/clicks/").content.decode()
    assert "1\u202f000\u00a0₽" in drill.get(f"/workspaces/{ws.pk}/money/costs/?category=ad_spend").content.decode()
    link_page = client_for(world.alpha.owner).get(f"/money/links/{link.pk}/").content.decode()
    assert "order-1" not in link_page and "4\u202f990" in link_page


def test_it_does_not_credit_a_click_outside_the_window(world: World) -> None:
    from kosmmos.links.clickids import KidMaker

    ws = world.alpha.client_workspace
    link = actions.create_link(ws, target_url="https://shop.example/", network="ok")
    money = actions.money_settings(ws)
    money.attribution_days = 7
    money.save(update_fields=["attribution_days"])
    old = KidMaker().make(link.code, time.time() - 8 * 86400)
    fresh = KidMaker().make(link.code, time.time() - 6 * 86400)
    forged = fresh[:-1] + ("a" if fresh[-1] != "a" else "b")
    for event_id, kid in (("old", old), ("fresh", fresh), ("forged", forged)):
        answer = signed_post(Client(), money, {"event_id": event_id, "event": "registration", "kid": kid})
        assert answer.status_code == 201
    credited = dict(Conversion.objects.values_list("event_id", "link"))
    assert credited == {"old": None, "fresh": link.pk, "forged": None}
    # A kid of another workspace's link is not credited here.
    other = actions.create_link(world.beta.client_workspace, target_url="https://b.example/", network="vk")
    signed_post(Client(), money, {"event_id": "x", "event": "registration", "kid": KidMaker().make(other.code)})
    assert Conversion.objects.get(event_id="x").link is None


@pytest.mark.parametrize(("amount", "code"), [
    ("abc", "amount_invalid"), ("-5", "amount_negative"), ("NaN", "amount_invalid"),
    ("Infinity", "amount_invalid"), ("1e12", "amount_too_large"), ("10.001", "amount_precision"),
    (True, "amount_invalid"), (None, "amount_invalid"), ("0", "amount_missing"),
])
def test_it_rejects_malformed_amounts_and_records_nothing(world: World, amount: Any, code: str) -> None:
    money = actions.money_settings(world.alpha.client_workspace)
    response = signed_post(Client(), money, {"event_id": "o-1", "event": "purchase", "amount": amount})
    assert response.status_code == 400
    assert response.json()["ok"] is False and response.json()["error"] == code
    assert response.json()["message"]
    assert not Conversion.objects.exists()


def test_it_rejects_bad_signatures_stale_timestamps_and_replays(world: World) -> None:
    money = actions.money_settings(world.alpha.client_workspace)
    event = {"event_id": "order-9", "event": "purchase", "amount": 100}
    browser = Client()
    bad = signed_post(browser, money, event, secret="not-the-secret")
    assert (bad.status_code, bad.json()["error"]) == (401, "signature_invalid")
    unsigned = browser.post(f"/t/pb/{money.public_key}/", json.dumps(event), content_type="application/json")
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "signature_missing")
    stale = signed_post(browser, money, event, stamp=int(time.time()) - 3600)
    assert (stale.status_code, stale.json()["error"]) == (401, "timestamp_stale")
    tampered_body = json.dumps({**event, "amount": 100000}).encode()
    stamp = int(time.time())
    good = signed_post(browser, money, event, stamp=stamp)
    assert good.status_code == 201
    replay = signed_post(browser, money, event, stamp=stamp)
    assert (replay.status_code, replay.json()["error"]) == (409, "duplicate_event")
    mac = hmac.new(money.postback_secret.encode(), f"{stamp}.".encode() + json.dumps(event).encode(), hashlib.sha256)
    tampered = browser.post(f"/t/pb/{money.public_key}/", tampered_body, content_type="application/json",
                            HTTP_X_KOSMMOS_TIMESTAMP=str(stamp), HTTP_X_KOSMMOS_SIGNATURE="sha256=" + mac.hexdigest())
    assert tampered.status_code == 401
    assert signed_post(browser, money, None, raw=b"{not json").json()["error"] == "json_invalid"
    assert Conversion.objects.count() == 1
    # Another workspace's secret does not sign for this one.
    beta = actions.money_settings(world.beta.client_workspace)
    assert signed_post(browser, money, {**event, "event_id": "b"}, secret=beta.postback_secret).status_code == 401


def test_it_collects_events_from_the_site_snippet_with_cors_and_a_limit(world: World, settings: Any) -> None:
    settings.LINKS_COLLECT_RATE_LIMIT = 2
    money = actions.money_settings(world.alpha.client_workspace)
    money.allowed_origins = "https://shop.example"
    money.save(update_fields=["allowed_origins"])
    url = f"/t/c/{money.public_key}/"
    browser = Client()
    preflight = browser.options(url, HTTP_ORIGIN="https://shop.example")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    body = json.dumps({"event": "registration", "event_id": "e1"})
    ok = browser.post(url, body, content_type="text/plain", HTTP_ORIGIN="https://shop.example")
    assert ok.status_code == 201 and ok["Access-Control-Allow-Origin"] == "https://shop.example"
    foreign = browser.post(url, body, content_type="text/plain", HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign
    bad = browser.post(url, json.dumps({"event": "purchase", "event_id": "e2", "amount": "-1"}),
                       content_type="text/plain", HTTP_ORIGIN="https://shop.example")
    assert bad.json()["error"] == "amount_negative"
    limited = browser.post(url, json.dumps({"event": "registration", "event_id": "e3"}),
                           content_type="text/plain", HTTP_ORIGIN="https://shop.example")
    assert limited.status_code == 429 and limited["Retry-After"]
    assert list(Conversion.objects.values_list("event_id", "source")) == [("e1", "site")]


def test_it_serves_the_snippet_as_a_static_file(world: World) -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("links/kosmmos-track.js")
    assert path and "kosmmos_kid" in Path(path).read_text()


def test_it_imports_orders_and_reports_rejected_rows(world: World) -> None:
    ws = world.alpha.client_workspace
    csv_text = ("order_id;date;amount;currency\n"
                "A-1;2026-03-02T10:00:00+03:00;1 990,50;RUB\n"
                "A-2;2026-03-03;abc;RUB\n"
                "A-1;2026-03-04;100;RUB\n"
                ";2026-03-04;100;RUB\n"
                "A-3;1772500000;250;rub\n")
    browser = client_for(world.alpha.manager, language="en")
    upload = SimpleUploadedFile("orders.csv", csv_text.encode(), content_type="text/csv")
    page = browser.post(f"/workspaces/{ws.pk}/money/conversions/import/", {"file": upload})
    html = page.content.decode()
    assert "2 of 5 rows imported, 3 rejected." in html
    assert "amount must be a number" in html and "recorded already" in html and "event_id is required" in html
    assert sorted(Conversion.objects.values_list("event_id", "amount")) == [
        ("A-1", Decimal("1990.50")), ("A-3", Decimal("250.00"))]


def test_it_adds_and_imports_costs(world: World) -> None:
    ws = world.alpha.client_workspace
    browser = client_for(world.alpha.owner, language="en")
    added = browser.post(f"/workspaces/{ws.pk}/money/costs/", {
        "month": "2026-03", "category": "content", "network": "", "amount": "15000", "note": "photos"})
    assert added.status_code == 302
    upload = SimpleUploadedFile("costs.csv", b"month,category,amount,network\n2026-03,ad_spend,5000,vk\n"
                                b"2026-04,lunch,10,\n2026-13,prizes,1,\n")
    page = browser.post(f"/workspaces/{ws.pk}/money/costs/import/", {"file": upload}).content.decode()
    assert "1 of 3 rows imported, 2 rejected." in page and "unknown category lunch" in page
    assert sorted(CostEntry.objects.values_list("category", "amount")) == [
        ("ad_spend", Decimal("5000.00")), ("content", Decimal("15000.00"))]
    assert CostEntry.objects.get(category="content").month.isoformat() == "2026-03-01"


def _conversion(ws: Any, event_id: str = "o-1") -> Conversion:
    return actions.record_conversion(ws, actions.parse_event({
        "event_id": event_id, "event": "purchase", "amount": "990", "ym_client_id": "1700000000123456789",
        "occurred_at": int(time.time()) - 3600}), source="postback")


def _configure_metrica(ws: Any) -> Any:
    money = actions.money_settings(ws)
    money.metrica_counter = "44147844"
    money.metrica_goal = "purchase"
    money.set_metrica_token("y0_secret-token")
    money.save()
    return money


UPLOAD_URL = "https://api-metrika.yandex.net/management/v1/counter/44147844/offline_conversions/upload"


def test_it_uploads_offline_conversions_to_metrica(world: World, django_capture_on_commit_callbacks: Any) -> None:
    ws = world.alpha.client_workspace
    money = _configure_metrica(ws)
    assert "y0_secret-token" not in money.metrica_token_encrypted  # encrypted at rest
    conversion = _conversion(ws)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(UPLOAD_URL, params={"type": "BASIC"}).respond(
            200, json=json.loads((FIXTURES / "metrica_upload_ok.json").read_text()))
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(world.alpha.manager).post(f"/workspaces/{ws.pk}/money/metrica/upload/")
    assert response.status_code == 302
    request = route.calls.last.request
    assert request.headers["Authorization"] == "OAuth y0_secret-token"
    body = request.content.decode()
    assert 'name="file"; filename="conversions.csv"' in body
    expected = ("ClientId,PurchaseId,Target,DateTime,Price,Currency\n"
                f"1700000000123456789,o-1,purchase,{int(conversion.occurred_at.timestamp())},990.00,RUB\n")
    assert expected in body
    upload = MetricaUpload.objects.get(workspace=ws)
    assert (upload.status, upload.uploading_id, upload.row_count) == (UploadStatus.DONE, "7234512", 1)
    assert [t.ok for t in upload.tries.all()] == [True]
    # Nothing new: a second upload is not made.
    assert metrica.create_upload(ws, money, None) is None


def test_it_waits_after_a_metrica_rate_limit_and_retries(world: World, django_capture_on_commit_callbacks: Any) -> None:
    ws = world.alpha.client_workspace
    _configure_metrica(ws)
    _conversion(ws)
    with respx.mock() as mock:
        mock.post(UPLOAD_URL).respond(429, headers={"Retry-After": "30"},
                                      json=json.loads((FIXTURES / "metrica_quota.json").read_text()))
        with django_capture_on_commit_callbacks(execute=True):
            client_for(world.alpha.manager).post(f"/workspaces/{ws.pk}/money/metrica/upload/")
    upload = MetricaUpload.objects.get(workspace=ws)
    assert upload.status == UploadStatus.PENDING and "quota" in upload.last_error
    assert upload.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert metrica.dispatch_due() == 0  # not due yet
    MetricaUpload.objects.filter(pk=upload.pk).update(next_attempt_at=timezone.now())
    with respx.mock() as mock:
        mock.post(UPLOAD_URL).respond(420, json={"message": "quota"})
        metrica.dispatch_due()
        upload.refresh_from_db()
        assert upload.status == UploadStatus.PENDING and upload.attempts == 2
        MetricaUpload.objects.filter(pk=upload.pk).update(next_attempt_at=timezone.now())
        mock.post(UPLOAD_URL).respond(200, json=json.loads((FIXTURES / "metrica_upload_ok.json").read_text()))
        assert metrica.dispatch_due() == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DONE
    assert [t.status_code for t in upload.tries.all()] == [429, 420, 200]


def test_it_stops_on_a_permanent_or_unknown_metrica_outcome_and_offers_retry(
    world: World, django_capture_on_commit_callbacks: Any,
) -> None:
    ws = world.alpha.client_workspace
    _configure_metrica(ws)
    _conversion(ws)
    browser = client_for(world.alpha.owner, language="en")
    with respx.mock() as mock:
        mock.post(UPLOAD_URL).respond(403, json=json.loads((FIXTURES / "metrica_unauthorized.json").read_text()))
        with django_capture_on_commit_callbacks(execute=True):
            browser.post(f"/workspaces/{ws.pk}/money/metrica/upload/")
    upload = MetricaUpload.objects.get(workspace=ws)
    assert upload.status == UploadStatus.FAILED and upload.last_error == "HTTP 403: Invalid oauth_token"
    page = browser.get(f"/workspaces/{ws.pk}/money/metrica/").content.decode()
    assert "Invalid oauth_token" in page and f"/money/metrica/{upload.pk}/retry/" in page
    with respx.mock() as mock:
        mock.post(UPLOAD_URL).mock(side_effect=httpx.ReadTimeout("slow"))
        with django_capture_on_commit_callbacks(execute=True):
            browser.post(f"/money/metrica/{upload.pk}/retry/")
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FAILED and "outcome is unknown" in upload.last_error
    assert upload.attempts == 2


def test_it_keeps_roles_apart(world: World) -> None:
    alpha = world.alpha
    ws = alpha.client_workspace
    client = client_for(alpha.client)
    assert client.get(f"/workspaces/{ws.pk}/money/").status_code == 200
    assert client.get(f"/workspaces/{ws.pk}/money/conversions/").status_code == 200
    assert client.get(f"/workspaces/{ws.pk}/money/settings/").status_code == 404
    assert client.get(f"/workspaces/{ws.pk}/money/metrica/").status_code == 404
    assert client.post(f"/workspaces/{ws.pk}/money/costs/", {"month": "2026-01", "category": "content",
                                                             "amount": "1"}).status_code == 404
    assert client.get(f"/workspaces/{alpha.other_workspace.pk}/money/").status_code == 404
    analyst = client_for(alpha.analyst)
    assert analyst.get(f"/workspaces/{ws.pk}/money/").status_code == 200
    assert analyst.get(f"/workspaces/{ws.pk}/money/settings/").status_code == 403
    assert analyst.post(f"/workspaces/{ws.pk}/money/costs/", {"month": "2026-01", "category": "content",
                                                              "amount": "1"}).status_code == 403
    assert not CostEntry.objects.exists()
    owner = client_for(alpha.owner)
    page = owner.get(f"/workspaces/{ws.pk}/money/settings/").content.decode()
    money = actions.money_settings(ws)
    assert money.postback_secret in page and money.public_key in page
    assert f"/workspaces/{ws.pk}/money/" in owner.get(f"/workspaces/{ws.pk}/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["to=9999-12", "from=0001-01", "from=0001-01&to=9999-12",
                                   "to=2026-13", "from=abcd-ef"])
def test_it_treats_a_month_it_cannot_use_as_not_given(world: World, query: str) -> None:
    ws = world.alpha.client_workspace
    browser = client_for(world.alpha.owner, language="en")
    for path in ("", "links/", "clicks/"):
        given = browser.get(f"/workspaces/{ws.pk}/money/{path}?{query}")
        assert given.status_code == 200, path
        # Shown as if no month was given: the default period (six months to this one).
        default = browser.get(f"/workspaces/{ws.pk}/money/{path}").context["period"]
        shown = given.context["period"]
        assert (shown.start, shown.end) == (default.start, default.end), (path, shown)
        assert shown.months()[-1] == timezone.now().astimezone(shown.tz).date().replace(day=1)
        assert len(shown.months()) == 6, path
