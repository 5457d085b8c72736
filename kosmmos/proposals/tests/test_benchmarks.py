"""The organisation's benchmark table: edit, reset, and the next plan follows it."""

from __future__ import annotations

from typing import Any

from kosmmos.briefs.models import Lead
from kosmmos.conftest import World, client_for
from kosmmos.proposals import actions
from kosmmos.proposals.benchmarks import NUMBER_FIELDS, benchmarks_for, number_text
from kosmmos.proposals.models import ProposalSettings
from kosmmos.proposals.planning import load_default_benchmarks


def _table_post(**changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {"action": "table"}
    for row in load_default_benchmarks().rows:
        prefix = f"r.{row.network}.{row.activity}"
        for name in NUMBER_FIELDS:
            data[f"{prefix}.{name}"] = number_text(getattr(row, name))
        data[f"{prefix}.source"], data[f"{prefix}.date"] = row.source, row.date
    data.update(changes)
    return data


def _impressions(lead: Lead) -> int:
    proposal = actions.build_draft(lead)
    edits = actions.current_edits(proposal)
    return actions.make_plan(lead.organisation, edits).period.impressions


def test_it_saves_the_table_and_the_next_plan_uses_it(world: World, new_lead: Lead) -> None:
    before = _impressions(new_lead)
    browser = client_for(world.alpha.manager)
    assert browser.get("/settings/proposals/").status_code == 200
    response = browser.post("/settings/proposals/", _table_post(**{
        "r.vk.targeted_ads.cpm": "1", "r.vk.targeted_ads.source": "Наши кампании 2025",
    }))
    assert response.status_code == 302
    stored = ProposalSettings.objects.get(organisation=world.alpha.org).benchmark_rows
    assert stored == {"vk/targeted_ads": {"cpm": "1", "source": "Наши кампании 2025"}}
    assert _impressions(new_lead) > before
    assert benchmarks_for(world.beta.org) == load_default_benchmarks()  # other tenants untouched

    assert browser.post("/settings/proposals/reset/").status_code == 302
    assert ProposalSettings.objects.get(organisation=world.alpha.org).benchmark_rows == {}
    assert _impressions(new_lead) == before


def test_it_keeps_the_typed_table_when_a_value_is_wrong(world: World) -> None:
    browser = client_for(world.alpha.owner)
    bad_number = browser.post("/settings/proposals/", _table_post(**{
        "r.vk.content.cpm": "дорого"}))
    assert bad_number.status_code == 400
    assert 'value="дорого"' in bad_number.content.decode()
    out_of_range = browser.post("/settings/proposals/", _table_post(**{
        "r.vk.targeted_ads.ctr": "5"}))
    assert out_of_range.status_code == 400
    assert "ctr" in out_of_range.content.decode()
    assert not ProposalSettings.objects.get(organisation=world.alpha.org).benchmark_rows


def test_it_turns_on_auto_send_and_stores_a_logo(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    logo = SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    response = client_for(world.alpha.owner).post("/settings/proposals/", {
        "action": "prefs", "auto_send": "on", "logo_file": logo})
    assert response.status_code == 302
    prefs = ProposalSettings.objects.get(organisation=world.alpha.org)
    assert prefs.auto_send and prefs.logo_mimetype == "image/svg+xml"
    fake = SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image")
    rejected = client_for(world.alpha.owner).post("/settings/proposals/", {
        "action": "prefs", "logo_file": fake})
    assert rejected.status_code == 400
