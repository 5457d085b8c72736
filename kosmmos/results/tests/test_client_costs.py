"""The agency's costs and a client: hidden by default everywhere a client looks (P&L, costs,
results, the client's home, the API), shown when the agency turns "show costs to clients" on.
The agency's own roles always see them."""

from __future__ import annotations

from typing import Any

import pytest

from kosmmos.accounts.models import Organisation
from kosmmos.api.tests.conftest import api_as
from kosmmos.conftest import World, client_for
from kosmmos.results.tests.conftest import History

pytestmark = pytest.mark.django_db

NOV = "from=2026-11&to=2026-11"
# The history's November: revenue 8 000 ₽, costs 5 000 ₽, profit 3 000 ₽, ROMI 60 %.
COSTS, PROFIT = "5\u202f000\u00a0₽", "3\u202f000\u00a0₽"


def _show_costs(org: Organisation, on: bool) -> None:
    org.show_costs_to_clients = on
    org.save(update_fields=["show_costs_to_clients"])


def _pages(user: Any, history: History, language: str) -> dict[str, str]:
    browser = client_for(user, language=language)
    ws = history.workspace.pk
    return {
        "pnl": browser.get(f"/workspaces/{ws}/money/?{NOV}").content.decode(),
        "results": browser.get(f"/workspaces/{ws}/results/?month=2026-11").content.decode(),
    }


@pytest.mark.parametrize("language", ["ru", "en"])
def test_it_hides_costs_from_a_client_by_default(history: History, world: World,
                                                 language: str) -> None:
    assert world.alpha.org.show_costs_to_clients is False  # the default
    pages = _pages(world.alpha.client, history, language)
    for name, html in pages.items():
        assert "8\u202f000\u00a0₽" in html, name  # revenue: theirs to see
        for key in ('id="fig-costs"', 'id="fig-profit"', 'id="fig-cpa"', 'id="fig-roi"',
                    'id="fig-romi"', 'id="fig-cpc"', 'id="fig-profit-per-check"', COSTS, PROFIT,
                    "ROMI"):
            assert key not in html, (name, key)
    assert f"/workspaces/{history.workspace.pk}/money/costs/" not in pages["pnl"]  # no costs tab
    assert 'data-metric="budget"' not in pages["results"]  # its actual is the spend
    costs = client_for(world.alpha.client, language=language).get(
        f"/workspaces/{history.workspace.pk}/money/costs/")
    assert costs.status_code == 403
    assert ("Ошибка 403" if language == "ru" else "Error 403") in costs.content.decode()


def test_it_shows_costs_to_a_client_when_the_agency_chooses(history: History,
                                                            world: World) -> None:
    _show_costs(world.alpha.org, True)
    pages = _pages(world.alpha.client, history, "en")
    for name, html in pages.items():
        assert COSTS in html and PROFIT in html and "ROMI" in html, name
        assert 'id="fig-costs"' in html and 'id="fig-profit"' in html, name
    assert 'data-metric="budget"' in pages["results"]
    costs = client_for(world.alpha.client).get(f"/workspaces/{history.workspace.pk}/money/costs/")
    assert costs.status_code == 200


@pytest.mark.parametrize("on", [False, True])
def test_it_always_shows_costs_to_the_agency(history: History, world: World, on: bool) -> None:
    _show_costs(world.alpha.org, on)
    for user in (world.alpha.owner, world.alpha.analyst):
        for name, html in _pages(user, history, "ru").items():
            assert COSTS in html and PROFIT in html and 'id="fig-costs"' in html, (name, user)


def test_it_nulls_costs_in_the_api_for_a_client_token_unless_shown(history: History,
                                                                  world: World) -> None:
    ws = history.workspace.pk
    client_api = api_as(world.alpha.client, world.alpha.org)
    pnl = client_api.get(f"/workspaces/{ws}/pnl", **{"from": "2026-11", "to": "2026-11"}).json()
    assert pnl["revenue"] == "8000.00"
    for name in ("costs", "profit", "ad_spend", "cpc", "cpa", "roi", "romi", "profit_per_check"):
        assert pnl[name] is None, name
    assert all(m["costs"] is None and m["profit"] is None for m in pnl["months"])
    results = client_api.get(f"/workspaces/{ws}/results",
                             **{"from": "2026-11-01", "to": "2026-11-30"}).json()
    assert results["money"]["costs"] is None and results["money"]["romi"] is None
    assert results["money"]["revenue"] == "8000.00"
    assert "budget" not in {r["metric"] for r in results["forecast"]}
    assert results["previous"] is None or results["previous"]["costs"] is None
    owner = api_as(world.alpha.owner, world.alpha.org).get(
        f"/workspaces/{ws}/pnl", **{"from": "2026-11", "to": "2026-11"}).json()
    assert (owner["costs"], owner["romi"]) == ("5000.00", 60.0)
    _show_costs(world.alpha.org, True)
    shown = client_api.get(f"/workspaces/{ws}/pnl", **{"from": "2026-11", "to": "2026-11"}).json()
    assert (shown["costs"], shown["profit"], shown["romi"]) == ("5000.00", "3000.00", 60.0)


def test_it_shows_costs_on_the_clients_home_only_when_chosen(history: History,
                                                             world: World) -> None:
    browser = client_for(world.alpha.client, language="en")
    assert "ROMI" not in browser.get("/").content.decode()
    _show_costs(world.alpha.org, True)
    page = browser.get("/").content.decode()
    assert "ROMI" in page and "<th class=\"text-end\">Costs</th>" in page


def test_it_lets_the_owner_switch_it_on_the_settings_page(world: World) -> None:
    org = world.alpha.org
    owner = client_for(world.alpha.owner, language="ru")
    page = owner.get("/settings/").content.decode()
    assert 'name="show_costs_to_clients"' in page and "Показывать клиентам расходы" in page
    form = {"name": org.name, "timezone": org.timezone, "brand_color": org.brand_color,
            "show_costs_to_clients": "on"}
    assert owner.post("/settings/", form).status_code == 302
    org.refresh_from_db()
    assert org.show_costs_to_clients is True
    manager = client_for(world.alpha.manager)
    assert manager.post("/settings/", {**form, "show_costs_to_clients": ""}).status_code == 403
    org.refresh_from_db()
    assert org.show_costs_to_clients is True
