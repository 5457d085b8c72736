"""The ORD pages: forms that check the INN by legal form and keep what was typed, hostile input,
the month's report with manual impressions and the export."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from kosmmos.conftest import World, client_for
from kosmmos.ord.inn import valid_inn, with_control
from kosmmos.ord.models import Account, Contract, Link, Party, Report, Statistic
from kosmmos.ord.tests.conftest import Ord, run_jobs
from kosmmos.ord.tests.test_flow import ad_post, approve, publish


@pytest.mark.parametrize(("inn", "ok"), [
    ("7707083893", True), ("7707083894", False), ("500100732259", True),
    ("500100732250", False), ("77070838", False), ("７７０７０８３８９３", False), ("", False)])
def test_it_checks_inn_control_digits(inn: str, ok: bool) -> None:
    assert valid_inn(inn) is ok


def test_it_refuses_a_bad_inn_by_legal_form_and_keeps_what_was_typed(world: World) -> None:
    browser = client_for(world.alpha.manager, language="ru")
    answer = browser.post("/ord/parties/new/", {
        "name": "ИП Иванов", "legal_form": "ip", "inn": "7707083893", "roles": ["advertiser"]})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "12" in page and "ИП Иванов" in page and 'value="7707083893"' in page
    assert not Party.objects.exists()
    answer = client_for(world.alpha.manager, language="en").post("/ord/parties/new/", {
        "name": "Acme", "legal_form": "juridical", "inn": "7707083894",
        "roles": ["advertiser"]})
    assert "control digits do not match" in answer.content.decode()
    answer = browser.post("/ord/parties/new/", {
        "name": "ООО «Ромашка»", "legal_form": "juridical", "inn": "7707083893",
        "roles": ["advertiser"]})
    assert answer.status_code == 302 and Party.objects.get().inn == "7707083893"


@pytest.mark.parametrize("data", [
    {"name": "\x00", "legal_form": "juridical", "inn": "7707083893", "roles": ["advertiser"]},
    {"name": "A" * 5000, "legal_form": "juridical", "inn": "7707083893", "roles": ["x"]},
    {"name": "A", "legal_form": "<script>", "inn": "1" * 200, "roles": ["advertiser"]},
    {"name": "A", "legal_form": "physical", "inn": with_control("5001007322"),
     "roles": ["advertiser"], "phone": ""},
    {},
])
def test_it_stores_nothing_from_a_hostile_party_form(world: World, data: dict) -> None:
    answer = client_for(world.alpha.manager).post("/ord/parties/new/", data)
    assert answer.status_code == 200 and not Party.objects.exists()


def test_it_refuses_hostile_contracts_links_and_months(world: World) -> None:
    browser = client_for(world.alpha.manager, language="en")
    beta_party = Party.objects.create(organisation=world.beta.org, name="Beta", inn="7707083893",
                                      legal_form="juridical", roles=["advertiser"])
    answer = browser.post("/ord/contracts/new/", {
        "number": "1", "type": "service", "subject_type": "distribution",
        "client": str(beta_party.pk), "contractor": str(beta_party.pk), "date": "2026-01-01"})
    assert answer.status_code == 200 and not Contract.objects.exists()
    answer = browser.post("/ord/contracts/", {"workspace": str(world.alpha.client_workspace.pk),
                                              "contract": "nope", "kktu": "0.1.1", "form": "x"})
    assert answer.status_code == 200 and not Link.objects.exists()
    for month in ("2999-01", "garbage", "", "2026-13"):
        assert browser.post("/ord/months/", {"month": month}).status_code == 302
    assert not Report.objects.exists()


def test_it_hides_the_ord_from_clients_and_other_agencies(world: World) -> None:
    assert client_for(world.alpha.client).get("/ord/").status_code in (403, 404)
    assert client_for(world.alpha.manager).get("/ord/").status_code == 200


def test_it_stores_the_key_encrypted(world: World) -> None:
    browser = client_for(world.alpha.owner, language="en")
    assert browser.post("/ord/key/", {"host": "sandbox", "token": ""}).status_code == 200
    assert browser.post("/ord/key/", {"host": "sandbox", "token": "sekret-key"}).status_code == 302
    account = Account.objects.get(organisation=world.alpha.org)
    assert "sekret-key" not in account.token_encrypted and account.token == "sekret-key"


def test_it_walks_a_month_through_the_pages(ord_env: Ord) -> None:
    first = approve(ad_post(ord_env), ord_env)
    publish(first, None)
    browser = client_for(ord_env.world.alpha.manager, language="ru")
    answer = browser.post("/ord/months/", {"month": timezone.localdate().strftime("%Y-%m")})
    report = Report.objects.get()
    assert answer["Location"] == f"/ord/reports/{report.pk}/"
    page = browser.get(answer["Location"]).content.decode()
    assert "вручную" in page and first.erid in page
    row = Statistic.objects.get()
    assert browser.post(f"/ord/rows/{row.pk}/shows/", {"shows": "-5"}).status_code == 302
    assert Statistic.objects.get().shows is None
    browser.post(f"/ord/rows/{row.pk}/shows/", {"shows": "450"})
    browser.post(f"/ord/reports/{report.pk}/send/")
    run_jobs()
    assert Report.objects.get().status == Report.Status.SENT
    csv = browser.get(f"/ord/reports/{report.pk}/export.csv").content.decode("utf-8-sig")
    assert first.erid in csv and "450" in csv and "Ромашка" in csv
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(browser.get(f"/ord/reports/{report.pk}/export.xlsx").content))
    values = [c.value for c in list(book.active.iter_rows())[1]]
    assert first.erid in values and 450 in values
    assert browser.get("/ord/").status_code == 200 and first.erid in browser.get(
        "/ord/").content.decode()
    assert browser.get("/ord/calls/").status_code == 200


@pytest.mark.parametrize("amount", ["-1", "abc", "1e400", "", "99999999999999999"])
def test_it_refuses_a_hostile_act_and_sends_nothing(ord_env: Ord, amount: str) -> None:
    from kosmmos.ord import actions
    from kosmmos.ord.models import Invoice, Job

    first = approve(ad_post(ord_env), ord_env)
    publish(first, 10)
    report = actions.close_month(ord_env.world.alpha.org, timezone.localdate())
    invoice = Invoice.objects.get(report=report)
    answer = client_for(ord_env.world.alpha.manager).post(
        f"/ord/acts/{invoice.pk}/confirm/", {f"{invoice.pk}-number": "A-1",
                                             f"{invoice.pk}-date": "2026-01-31",
                                             f"{invoice.pk}-amount": amount})
    assert answer.status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.DRAFT
    assert not Job.objects.filter(kind=Job.Kind.INVOICE).exists()
