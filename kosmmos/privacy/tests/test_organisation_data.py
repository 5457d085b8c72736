"""The consent text version on each brief, the agency's export, and its deletion after a grace
period — owners only, hostile input refused with nothing stored."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kosmmos.accounts.models import Organisation, User
from kosmmos.audit.models import Event
from kosmmos.briefs.models import Brief, ConsentText
from kosmmos.briefs.tests.test_public_form import VALID, fresh_ip, post_brief
from kosmmos.conftest import World, client_for
from kosmmos.content.tests.conftest import make_media
from kosmmos.links.events import Click, get_store
from kosmmos.mail.models import Delivery
from kosmmos.privacy.dispatch import run_deletions
from kosmmos.privacy.models import OrganisationDeletion, OrganisationExport

pytestmark = pytest.mark.django_db

PAGE = "/settings/personal-data/"


@pytest.fixture(autouse=True)
def _stores(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "uploads")
    settings.VAR_DIR = tmp_path / "var"
    settings.LINKS_EVENTS_PATH = tmp_path / "events.sqlite3"


def submit(org: Organisation, **extra: str) -> Brief:
    email = f"{fresh_ip()}@client.test"
    response = post_brief(Client(), org.brief_code, {**VALID, "email": email, **extra}, fresh_ip())
    assert response.status_code == 302, response.content.decode()[:500]
    return Brief.objects.get(email=email)


# --- The consent text version ------------------------------------------------------------------


def test_it_records_the_consent_text_version_and_time_on_each_brief(world: World) -> None:
    org = world.alpha.org
    first = submit(org)
    assert first.consent_text is not None and first.consent_text.version == 1
    assert first.consent_text.default and "152" in first.consent_text.text
    assert first.consented_at is not None and first.consent_policy_url == org.policy_url

    owner = client_for(world.alpha.owner, language="en")
    owner.post(f"{PAGE}consent/", {"text": "Я согласен на обработку данных ООО «Альфа»."})
    form = Client().get(f"/brief/{org.brief_code}/").content.decode()
    assert "Я согласен на обработку данных ООО «Альфа»." in form
    assert 'name="consent_version" value="2"' in form
    second = submit(org, consent_version="2")
    assert second.consent_text is not None and second.consent_text.version == 2
    # The form the person had open showed version 1: that is the one they agreed to.
    assert submit(org, consent_version="1").consent_text == first.consent_text

    lead_page = owner.get(f"/leads/{second.lead.pk}/").content.decode()
    assert "consent text v2" in lead_page and "ООО «Альфа»" in lead_page
    event = Event.objects.get(organisation=org, action="privacy.consent_text_changed")
    assert event.changes == {"version": [1, 2]}


def test_it_makes_a_new_version_when_the_policy_address_changes(world: World) -> None:
    org = world.alpha.org
    before = submit(org).consent_text
    Organisation.objects.filter(pk=org.pk).update(policy_url="https://alpha.test/new-policy")
    after = submit(org).consent_text
    assert before is not None and after is not None
    assert (after.version, after.policy_url, after.text) == (
        2, "https://alpha.test/new-policy", before.text)
    assert ConsentText.objects.get(pk=before.pk).policy_url != after.policy_url  # kept as it was


@pytest.mark.parametrize("version", ["abc", "-1", "0", "99999999999", "1\x00", "٣", "7"])
def test_it_records_the_current_version_for_a_hostile_hidden_version(
    world: World, version: str,
) -> None:
    brief = submit(world.alpha.org, consent_version=version)
    assert brief.consent_text == ConsentText.objects.get(organisation=world.alpha.org)


def test_it_never_records_another_agencys_consent_version(world: World) -> None:
    submit(world.beta.org)
    client_for(world.beta.owner).post(f"{PAGE}consent/", {"text": "Beta's own text"})
    brief = submit(world.alpha.org, consent_version="2")
    assert brief.consent_text is not None
    assert brief.consent_text.organisation_id == world.alpha.org.pk


@pytest.mark.parametrize("person", ["manager", "analyst", "client"])
def test_it_keeps_the_consent_text_and_the_agency_data_to_owners(world: World, person: str) -> None:
    browser = client_for(getattr(world.alpha, person))
    for url, data in ((f"{PAGE}consent/", {"text": "x"}), (f"{PAGE}exports/new/", {}),
                      (f"{PAGE}deletion/", {"confirm": world.alpha.org.name})):
        assert browser.post(url, data).status_code in {403, 404}
    assert not ConsentText.objects.exists()
    assert not OrganisationExport.objects.exists() and not OrganisationDeletion.objects.exists()


@pytest.mark.parametrize("text", ["", " ", "x" * 5001, "a\x00b"])
def test_it_refuses_a_bad_consent_text_and_stores_nothing(world: World, text: str) -> None:
    response = client_for(world.alpha.owner).post(f"{PAGE}consent/", {"text": text})
    assert response.status_code == 302
    assert not ConsentText.objects.exists()


# --- The agency's export -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_exports_everything_of_one_agency_as_an_archive_with_progress(world: World) -> None:
    alpha = world.alpha
    brief = submit(alpha.org)
    media = make_media(alpha.client_workspace, "logo.png")
    get_store().append_clicks([Click(alpha.client_workspace.pk, 1_000, "k1", media.pk)])
    submit(world.beta.org, contact_name="Беты клиент")
    owner = client_for(alpha.owner, language="en")

    owner.post(f"{PAGE}exports/new/")

    export = OrganisationExport.objects.get()
    assert export.status == OrganisationExport.Status.DONE, export.last_error
    assert export.done == export.total > 3 and export.percent == 100
    page = owner.get(PAGE).content.decode()
    assert f"{PAGE}exports/{export.pk}/" in page
    download = owner.get(f"{PAGE}exports/{export.pk}/")
    archive = Path(export.path)
    assert download.status_code == 200 and archive.exists()
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        briefs = json.loads(zf.read("data/briefs.brief.json"))
        channels = zf.read("data/channels.channel.json").decode()
        clicks = zf.read("clicks.csv").decode()
        manifest = json.loads(zf.read("manifest.json"))
    emails = {b["email"] for b in briefs}
    assert brief.email in emails and emails == set(
        Brief.objects.filter(organisation=alpha.org).values_list("email", flat=True))
    assert "Беты клиент" not in json.dumps(briefs, ensure_ascii=False)  # Beta's brief is not in it
    assert "csv/briefs.brief.csv" in names and f"files/{media.file.name}" in names
    assert "credentials_encrypted" not in channels
    assert "k1" in clicks and manifest["missing_files"] == []
    assert Event.objects.filter(organisation=alpha.org, action="organisation.exported").exists()
    # Nobody else downloads it.
    for other in (alpha.manager, world.beta.owner):
        assert client_for(other).get(f"{PAGE}exports/{export.pk}/").status_code in {403, 404}


# --- Deleting the agency -----------------------------------------------------------------------


def test_it_refuses_a_deletion_without_the_agencys_exact_name(world: World) -> None:
    owner = client_for(world.alpha.owner)
    for confirm in ("", "Beta", world.alpha.org.name + "x", "\x00"):
        owner.post(f"{PAGE}deletion/", {"confirm": confirm})
    assert not OrganisationDeletion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_deletes_the_agency_after_the_grace_period_unless_cancelled(world: World) -> None:
    alpha, beta = world.alpha, world.beta
    submit(alpha.org)
    media = make_media(alpha.client_workspace, "logo.png")
    stored = Path(media.file.path)
    get_store().append_clicks([Click(alpha.client_workspace.pk, 1_000, "k1", media.pk)])
    owner = client_for(alpha.owner, language="en")

    owner.post(f"{PAGE}deletion/", {"confirm": alpha.org.name})
    row = OrganisationDeletion.objects.get()
    assert timedelta(days=13) < row.delete_after - timezone.now() <= timedelta(days=14)
    mail = Delivery.objects.get(kind="organisation_deletion")
    assert alpha.owner.email in mail.to and "/settings/personal-data/" in mail.body
    assert OrganisationExport.objects.filter(organisation=alpha.org).exists()  # the final export
    assert run_deletions() == 0  # not yet due

    owner.post(f"{PAGE}deletion/cancel/")
    assert not OrganisationDeletion.objects.exists()
    assert Event.objects.filter(organisation=alpha.org,
                                action="organisation.deletion_cancelled").exists()

    owner.post(f"{PAGE}deletion/", {"confirm": alpha.org.name})
    OrganisationDeletion.objects.update(delete_after=timezone.now() - timedelta(seconds=1))
    assert run_deletions() == 1

    assert not Organisation.objects.filter(pk=alpha.org.pk).exists()
    assert not Brief.objects.filter(organisation_id=alpha.org.pk).exists()
    assert not stored.exists() and get_store().count_raw(alpha.client_workspace.pk) == 0
    assert not User.objects.filter(pk=alpha.manager.pk).exists()  # in no other agency
    kept = Event.objects.get(action="organisation.deleted")
    assert kept.organisation_id is None and kept.target == f"Organisation {alpha.org.pk}"
    assert kept.changes["name"] == alpha.org.name
    assert kept.changes["requested_by"] == alpha.owner.email
    # The other agency is untouched.
    assert Organisation.objects.filter(pk=beta.org.pk).exists()
    assert User.objects.filter(pk=beta.owner.pk).exists()


def test_it_shows_the_consent_versions_and_the_agency_data_in_russian(world: World) -> None:
    submit(world.alpha.org)
    page = client_for(world.alpha.owner, language="ru").get(PAGE).content.decode()
    assert "Согласие в форме брифа" in page and "v1 ·" in page
    assert "Данные агентства" in page and "Удалить агентство" in page
