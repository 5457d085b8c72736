"""Who sees what: outsiders and clients see nothing of proposals; analysts read only."""

from __future__ import annotations

import pytest

from kosmmos.briefs.models import Lead
from kosmmos.conftest import World, client_for
from kosmmos.proposals import actions
from kosmmos.proposals.models import Proposal


@pytest.fixture
def proposal(new_lead: Lead) -> Proposal:
    return actions.build_draft(new_lead)


def _urls(proposal: Proposal) -> list[str]:
    base = f"/proposals/{proposal.pk}/"
    return [base, base + "edit/", base + "pdf/"]


@pytest.mark.parametrize("who", ["outsider", "client"])
def test_it_hides_proposals_from_outsiders_and_clients(
    world: World, proposal: Proposal, who: str,
) -> None:
    user = world.beta.owner if who == "outsider" else world.alpha.client
    browser = client_for(user)
    # An outsider learns nothing (404); a client is refused agency pages outright (403).
    refused = {404} if who == "outsider" else {403, 404}
    for url in _urls(proposal):
        assert browser.get(url).status_code in refused, url
    assert browser.post(f"/proposals/{proposal.pk}/send/").status_code in {403, 404}
    assert browser.post(f"/proposals/{proposal.pk}/edit/", {"budget": "1"}).status_code in {
        403, 404}
    listing = browser.get("/proposals/")
    assert listing.status_code in {200, 403, 404}
    assert proposal.lead.title not in listing.content.decode()
    assert proposal.versions.count() == 1
    settings_page = browser.get("/settings/proposals/").status_code
    assert settings_page in ({200} if who == "outsider" else {403, 404})


def test_it_lets_analysts_read_but_not_change(world: World, proposal: Proposal) -> None:
    browser = client_for(world.alpha.analyst)
    assert browser.get(f"/proposals/{proposal.pk}/").status_code == 200
    assert browser.get("/proposals/").status_code == 200
    assert browser.get(f"/proposals/{proposal.pk}/edit/").status_code == 403
    assert browser.post(f"/proposals/{proposal.pk}/send/").status_code == 403
    assert browser.post("/settings/proposals/reset/").status_code == 403


def test_it_shows_the_proposal_on_the_lead_page(world: World, proposal: Proposal) -> None:
    page = client_for(world.alpha.manager).get(f"/leads/{proposal.lead.pk}/").content.decode()
    assert f"/proposals/{proposal.pk}/" in page
    other = world.alpha.leads[0]
    page = client_for(world.alpha.manager).get(f"/leads/{other.pk}/").content.decode()
    assert f"/leads/{other.pk}/proposal/" in page  # a lead from before: draft on demand
