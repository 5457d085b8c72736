"""The document: the PDF says what the page says; versions highlight what changed."""

from __future__ import annotations

import io
import re

from django.utils import translation
from pypdf import PdfReader

from kosmmos.briefs.models import Lead
from kosmmos.conftest import World, client_for
from kosmmos.proposals import actions, document
from kosmmos.proposals.pdf import render_pdf


def _squash(text: str) -> str:
    # Spaces (narrow, no-break, line breaks) differ between HTML and PDF text extraction.
    return re.sub(r"\s+", "", text.replace("\u202f", " ").replace("\u00a0", " "))


def test_it_puts_the_same_figures_in_the_pdf_as_on_the_page(world: World, new_lead: Lead) -> None:
    proposal = actions.build_draft(new_lead)
    version = proposal.latest_version()
    assert version is not None
    page = client_for(world.alpha.manager).get(f"/proposals/{proposal.pk}/")
    assert page.status_code == 200
    html = _squash(page.content.decode())
    reader = PdfReader(io.BytesIO(render_pdf(proposal, version)))
    pdf_text = _squash("".join(p.extract_text() for p in reader.pages))

    with translation.override(version.language):
        ctx = document.context(proposal, version)
    figures = [ctx["budget_per_month"].text, ctx["period_budget"].text,
               ctx["period"]["leads"].text, ctx["period"]["subscribers"].text,
               ctx["period"]["impressions"].text]
    figures += [n["budget"].text for n in ctx["networks"]]
    figures += [m["cells"]["leads"].text for m in ctx["months"]]
    figures += [f["count"].text for f in ctx["funnel"]]
    for figure in figures:
        wanted = _squash(figure)
        assert wanted in html, figure
        assert wanted.replace("₽", "") in pdf_text, figure
    assert "Коммерческоепредложение" in pdf_text  # Russian by default
    assert "AlphaAgency" in pdf_text  # the agency's branding


def test_it_renders_the_proposal_in_english_when_asked(world: World, new_lead: Lead) -> None:
    proposal = actions.build_draft(new_lead)
    edits = actions.current_edits(proposal)
    version = actions.revise_proposal(
        proposal, actions.Edits(edits.inputs, edits.overrides, "en"), world.alpha.manager)
    text = "".join(p.extract_text() for p in PdfReader(
        io.BytesIO(render_pdf(proposal, version))).pages)
    assert "Commercial proposal" in text
    assert "Forecast by month" in text
    assert version.changes == {}  # same numbers, only the language changed


def test_it_saves_an_edit_as_v2_with_the_changed_figures_highlighted(
    world: World, new_lead: Lead,
) -> None:
    proposal = actions.build_draft(new_lead)
    browser = client_for(world.alpha.manager)
    form = browser.get(f"/proposals/{proposal.pk}/edit/")
    assert form.status_code == 200
    data = {"budget": "200000", "period": "3", "start_month": "2031-02", "language": "ru",
            "net.vk": "1", "net.telegram": "1"}
    response = browser.post(f"/proposals/{proposal.pk}/edit/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/proposals/{proposal.pk}/"
    v2 = proposal.versions.get(number=2)
    assert v2.changes["budget_per_month"] == "150000.00"
    assert v2.plan["forecast"][0]["month"] == "2031-02-01"
    page = browser.get(f"/proposals/{proposal.pk}/").content.decode()
    assert page.count('class="kp-changed"') > 10
    # The monthly budget is highlighted with the previous value on hover.
    assert re.search('class="kp-changed" title="[^"]*150\u202f000\u00a0₽">200\u202f000', page)
    first = browser.get(f"/proposals/{proposal.pk}/?v=1").content.decode()
    assert 'class="kp-changed"' not in first


def test_it_keeps_everything_typed_and_shows_the_planners_error(
    world: World, new_lead: Lead,
) -> None:
    proposal = actions.build_draft(new_lead)
    browser = client_for(world.alpha.manager)
    data = {"budget": "9000", "period": "3", "start_month": "2031-02", "language": "en",
            "net.vk": "1", "net.telegram": "1", "share.vk": "3", "share.telegram": "1",
            "bm.vk.targeted_ads.cpm": "777"}
    response = browser.post(f"/proposals/{proposal.pk}/edit/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    body = response.content.decode()
    errors = body.split('id="editor-errors"')[1].split("</div>")[0]
    assert "9\u202f000" in errors and "111\u202f000" in errors  # budget_too_small, grouped
    assert 'value="9000"' in body
    assert 'value="777"' in body and 'value="3"' in body
    assert '<option value="en" selected>' in body
    assert proposal.versions.count() == 1


def test_it_marks_bad_numbers_and_half_filled_shares(world: World, new_lead: Lead) -> None:
    proposal = actions.build_draft(new_lead)
    data = {"budget": "abc", "period": "99", "start_month": "", "language": "ru",
            "net.vk": "1", "net.telegram": "1", "share.vk": "2"}
    response = client_for(world.alpha.manager).post(f"/proposals/{proposal.pk}/edit/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count("is-invalid") >= 4  # budget, period, start month, the missing share
    assert 'value="abc"' in body
    assert proposal.versions.count() == 1


def test_it_puts_the_kpi_check_on_top_and_the_bands_in_page_and_pdf(
    world: World, new_lead: Lead
) -> None:
    proposal = actions.build_draft(new_lead)  # the brief asks for 200 leads a month
    version = proposal.latest_version()
    assert version is not None
    with translation.override(version.language):
        ctx = document.context(proposal, version)
    (check,) = ctx["checks"]
    assert check.code == "kpi_outside_band" and check.params["needed"]
    html = page = client_for(world.alpha.manager).get(f"/proposals/{proposal.pk}/").content.decode()
    assert html.index(check.text) < html.index('class="kp-summary"')  # at the top, before the figures
    pdf = _squash("".join(p.extract_text() for p in PdfReader(
        io.BytesIO(render_pdf(proposal, version))).pages))
    assert check.params["needed"] in pdf
    band = ctx["band"]["leads"]
    assert band and _squash(band) in _squash(page) and _squash(band) in pdf
    assert "<polygon" in str(ctx["charts"]["band"])
    split = [a["split"] for n in ctx["networks"] for a in n["activities"] if a["split"]]
    assert split and all("%" in text for text in split)


def test_it_saves_the_managers_split_and_the_document_shows_it(
    world: World, new_lead: Lead
) -> None:
    proposal = actions.build_draft(new_lead)
    browser = client_for(world.alpha.manager)
    form = browser.get(f"/proposals/{proposal.pk}/edit/").content.decode()
    start = re.search(r'name="start_month" value="(\d{4}-\d{2})"', form)
    assert start is not None
    data = {"budget": "150000", "period": "3", "start_month": start[1],
            "obj.vk.targeted_ads": "100", "net.vk": "1", "net.telegram": "1",
            "language": "ru", "niche": "finance"}
    response = browser.post(f"/proposals/{proposal.pk}/edit/", data)
    assert response.status_code == 302, re.findall(r"is-invalid[^>]*", response.content.decode())
    version = proposal.versions.order_by("-number").first()
    assert version is not None and version.number == 2
    assert version.overrides["objectives"] == {"vk": {"targeted_ads": "1"}}
    assert version.inputs["niche"] == "finance"
    ads = next(a for a in version.plan["activities"]
               if (a["network"], a["activity"]) == ("vk", "targeted_ads"))
    assert ads["subscriber_share"] == "1.0000"
    wrong = browser.post(f"/proposals/{proposal.pk}/edit/", {**data, "obj.vk.targeted_ads": "150"})
    assert wrong.status_code == 400 and 'value="150"' in wrong.content.decode()
