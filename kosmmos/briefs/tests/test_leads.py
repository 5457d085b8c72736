"""The leads board and a lead's page: who sees what, and what each change records."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from kosmmos.accounts.models import Workspace
from kosmmos.briefs.models import Lead, LeadEvent, LeadStatus
from kosmmos.conftest import World, client_for, make_lead

pytestmark = pytest.mark.django_db


def events(lead: Lead, kind: str) -> list[LeadEvent]:
    return list(LeadEvent.objects.filter(lead=lead, kind=kind).order_by("created_at"))


def test_it_shows_only_the_current_organisations_leads_grouped_by_status(
    world: World, owner: Any
) -> None:
    response = client_for(owner).get("/leads/")

    assert response.status_code == 200
    columns = {
        c["status"]: [lead.title for lead in c["leads"]] for c in response.context["columns"]
    }
    assert columns == {
        "new": ["Alpha Bakery"], "in_work": ["Alpha Fitness"], "proposal_sent": [], "won": [],
        "lost": ["Alpha Travel"],
    }
    assert response.context["total"] == 3
    html = response.content.decode()
    assert "Alpha Bakery" in html
    assert "Beta " not in html and "@beta.test" not in html  # names and emails; a CSRF token has no space or @


def test_it_filters_the_board_by_search_and_assignee(world: World, owner: Any) -> None:
    alpha = world.alpha
    alpha.leads[1].assignee = owner
    alpha.leads[1].save(update_fields=["assignee"])
    browser = client_for(owner)

    found = browser.get("/leads/", {"q": "bakery"}).context["columns"]
    mine = browser.get("/leads/", {"assignee": "me"}).context["columns"]

    assert [lead.title for c in found for lead in c["leads"]] == ["Alpha Bakery"]
    assert [lead.title for c in mine for lead in c["leads"]] == ["Alpha Fitness"]


def test_it_finds_a_cyrillic_lead_whatever_its_case(world: World, owner: Any) -> None:
    # SQLite's LIKE folds ASCII only: «иван» used to miss «Иван».
    lead = make_lead(world.alpha.org, "Иван Петров", email="ivan@clients.test")
    lead.brief.contact_name = "Светлана ЁЛКИНА"
    lead.brief.save(update_fields=["contact_name"])
    browser = client_for(owner)

    def found(query: str) -> list[str]:
        columns = browser.get("/leads/", {"q": query}).context["columns"]
        return [lead.title for c in columns for lead in c["leads"]]

    for query in ("иван", "ИВАН", "Иван", "петров", "светлана", "ёлкина", "IVAN@"):
        assert found(query) == ["Иван Петров"], query
    assert found("иванов") == []


def test_it_moves_a_card_over_htmx_and_records_the_change(world: World, teammate: Any) -> None:
    lead = world.alpha.leads[0]

    response = client_for(teammate).post(
        f"/leads/{lead.pk}/status/", {"status": "proposal_sent"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["briefs/_lead_moved.html",
                                                    "briefs/_lead_card.html"]
    html = response.content.decode()
    # Out of band onto the top of its new column; the old card is deleted by the select's swap.
    assert '<div hx-swap-oob="afterbegin:#cards-proposal_sent">' in html
    assert f'<div class="lead-card moved" id="lead-{lead.pk}">' in html
    assert "<html" not in html
    assert 'value="proposal_sent" selected' in html
    lead.refresh_from_db()
    assert lead.status == LeadStatus.PROPOSAL_SENT
    [event] = events(lead, "status")
    with translation.override("ru"):
        expected = f"{LeadStatus.NEW.label} → {LeadStatus.PROPOSAL_SENT.label}"
    assert (event.text, event.author) == (expected, teammate)


def _oob_counts(html: str) -> dict[str, str]:
    found = re.findall(r'<span class="badge text-bg-secondary" id="count-(\w+)" '
                       r'hx-swap-oob="true">(\d+)</span>', html)
    total = re.search(r'id="leads-total" hx-swap-oob="true">(\d+)<', html)
    assert total is not None
    return {**dict(found), "total": total.group(1)}


@pytest.mark.parametrize(("language", "hint"), [
    ("ru", "и счётчики колонок вместе с ней"), ("en", "and the columns' counts with it")])
def test_it_updates_the_column_counts_when_a_card_moves(world: World, teammate: Any,
                                                       language: str, hint: str) -> None:
    browser = client_for(teammate, language=language)
    board = browser.get("/leads/").content.decode()
    assert hint in board and 'id="count-new">1<' in board and 'id="leads-total">3<' in board
    bakery, fitness = world.alpha.leads[0], world.alpha.leads[1]
    html = browser.post(f"/leads/{bakery.pk}/status/", {"status": "proposal_sent"},
                        HTTP_HX_REQUEST="true",
                        HTTP_HX_CURRENT_URL="http://testserver/leads/").content.decode()
    assert _oob_counts(html) == {"new": "0", "in_work": "1", "proposal_sent": "1", "won": "0",
                                 "lost": "1", "total": "3"}
    # Counted for the filters of the board the card was moved on.
    html = browser.post(f"/leads/{fitness.pk}/status/", {"status": "won"}, HTTP_HX_REQUEST="true",
                        HTTP_HX_CURRENT_URL="http://testserver/leads/?q=Fitness").content.decode()
    assert _oob_counts(html) == {"new": "0", "in_work": "0", "proposal_sent": "0", "won": "1",
                                 "lost": "0", "total": "1"}


def test_it_records_nothing_when_the_status_does_not_change(world: World, owner: Any) -> None:
    lead = world.alpha.leads[0]
    browser = client_for(owner)

    response = browser.post(f"/leads/{lead.pk}/status/", {"status": "new"})
    bad = browser.post(f"/leads/{lead.pk}/status/", {"status": "archived"})

    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert bad.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "new"
    assert events(lead, "status") == []


def test_it_assigns_a_lead_to_staff_only(world: World, owner: Any) -> None:
    alpha = world.alpha
    lead = alpha.leads[0]
    browser = client_for(owner, language="en")

    response = browser.post(f"/leads/{lead.pk}/assign/", {"assignee": alpha.manager.pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.assignee == alpha.manager
    [event] = events(lead, "assign")
    assert (event.text, event.author) == ("Alpha Manager", owner)

    for stranger in (alpha.analyst, alpha.client, world.beta.owner):
        response = browser.post(
            f"/leads/{lead.pk}/assign/", {"assignee": stranger.pk}, follow=True
        )
        assert "Choose a member of the agency." in response.content.decode()
    lead.refresh_from_db()
    assert lead.assignee == alpha.manager
    assert len(events(lead, "assign")) == 1


def test_it_adds_a_note_and_refuses_an_empty_one(world: World, teammate: Any) -> None:
    lead = world.alpha.leads[0]
    browser = client_for(teammate, language="en")

    empty = browser.post(f"/leads/{lead.pk}/notes/", {"text": "   "})
    written = browser.post(f"/leads/{lead.pk}/notes/", {"text": "Called, wants VK and OK"})

    assert empty.status_code == 400
    assert "Write the note first." in empty.content.decode()
    assert 'aria-invalid="true"' in empty.content.decode()
    assert written.status_code == 302
    [note] = events(lead, "note")
    assert (note.text, note.author) == ("Called, wants VK and OK", teammate)
    assert "Called, wants VK and OK" in browser.get(f"/leads/{lead.pk}/").content.decode()


def test_it_converts_a_lead_into_one_workspace_even_when_asked_twice(
    world: World, owner: Any
) -> None:
    lead = world.alpha.leads[1]
    lead.brief.website = "https://fitness.example"
    lead.brief.save(update_fields=["website"])
    browser = client_for(owner)
    before = Workspace.objects.count()

    first = browser.post(f"/leads/{lead.pk}/convert/")
    second = browser.post(f"/leads/{lead.pk}/convert/")

    assert Workspace.objects.count() == before + 1
    lead.refresh_from_db()
    workspace = lead.workspace
    assert workspace is not None
    assert (workspace.organisation, workspace.name) == (world.alpha.org, "Alpha Fitness")
    assert workspace.website == "https://fitness.example"
    assert workspace.description == "Alpha Fitness: 300 leads a month"
    assert lead.status == LeadStatus.WON
    assert first["Location"] == second["Location"] == f"/workspaces/{workspace.pk}/"
    assert [e.text for e in events(lead, "converted")] == ["Alpha Fitness"]
    page = browser.get(f"/workspaces/{workspace.pk}/").content.decode()
    assert f'href="/leads/{lead.pk}/"' in page


def test_it_lets_an_analyst_read_but_not_write(world: World) -> None:
    alpha = world.alpha
    lead = alpha.leads[0]
    browser = client_for(alpha.analyst)

    board = browser.get("/leads/")
    detail = browser.get(f"/leads/{lead.pk}/")

    assert board.status_code == 200
    assert "Alpha Bakery" in board.content.decode()
    assert "<select name=\"status\"" not in board.content.decode()
    assert detail.status_code == 200
    assert f'action="/leads/{lead.pk}/convert/"' not in detail.content.decode()
    for action, data in (("status", {"status": "lost"}), ("assign", {"assignee": alpha.analyst.pk}),
                         ("notes", {"text": "hi"}), ("convert", {})):
        assert browser.post(f"/leads/{lead.pk}/{action}/", data).status_code == 403, action
    lead.refresh_from_db()
    assert (lead.status, lead.assignee, lead.workspace) == ("new", None, None)
    assert LeadEvent.objects.filter(lead=lead).exclude(kind="created").count() == 0


def test_it_hides_leads_from_a_client(world: World) -> None:
    alpha = world.alpha
    lead = alpha.leads[0]
    browser = client_for(alpha.client)

    assert browser.get("/leads/").status_code == 403
    assert browser.get(f"/leads/{lead.pk}/").status_code == 403
    assert browser.post(f"/leads/{lead.pk}/status/", {"status": "lost"}).status_code == 403
    assert browser.post(f"/leads/{lead.pk}/convert/").status_code == 403
    home = browser.get("/").content.decode()
    assert 'href="/leads/"' not in home
    assert "Alpha Bakery" not in home
    lead.refresh_from_db()
    assert lead.status == "new"


def test_it_shows_the_banned_network_note_on_a_lead_that_chose_instagram(
    world: World, owner: Any
) -> None:
    flagged = make_lead(world.alpha.org, "Alpha Cosmetics", networks=["vk", "instagram"])
    plain = world.alpha.leads[0]
    browser = client_for(owner, language="en")
    note = "* Recognised as an extremist organisation and banned in the Russian Federation"

    assert note in browser.get(f"/leads/{flagged.pk}/").content.decode()
    assert note not in browser.get(f"/leads/{plain.pk}/").content.decode()


def test_it_shows_a_columns_newest_cards_and_the_rest_on_demand(world: World, owner: Any) -> None:
    from kosmmos.briefs import views

    limit = views.BOARD_COLUMN_CARDS
    made = [make_lead(world.alpha.org, f"Shop {i:03d}") for i in range(limit + 3)]
    browser = client_for(owner, language="en")

    board = browser.get("/leads/")
    new = next(c for c in board.context["columns"] if c["status"] == "new")
    opened = browser.get("/leads/", {"column": "new"}).context["columns"]

    new_ids = {lead.pk for lead in Lead.objects.filter(organisation=world.alpha.org, status="new")}
    assert new["count"] == len(new_ids)
    assert len(new["leads"]) == limit
    assert new["leads"][0] == made[-1]  # the newest first
    assert new["hidden"] == len(new_ids) - limit
    assert f"Show {len(new_ids) - limit} more" in board.content.decode()
    assert {lead.pk for lead in next(c for c in opened if c["status"] == "new")["leads"]} == new_ids
    assert board.context["total"] == Lead.objects.filter(organisation=world.alpha.org).count()
