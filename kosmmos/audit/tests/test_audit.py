from __future__ import annotations

import csv
import io

import pytest

from kosmmos.accounts.models import Role
from kosmmos.audit.log import record
from kosmmos.audit.models import AppendOnly, Event
from kosmmos.conftest import PASSWORD, World, client_for


def actions(org: object) -> list[str]:
    return list(Event.objects.filter(organisation=org).order_by("at").values_list("action",
                                                                                 flat=True))


def test_it_records_sign_ins_and_failures_with_the_address(world: World) -> None:
    alpha = world.alpha
    browser = client_for(None)

    browser.post("/login/", {"username": alpha.manager.email, "password": "nope"},
                 REMOTE_ADDR="203.0.113.7")
    browser.post("/login/", {"username": alpha.manager.email, "password": PASSWORD},
                 REMOTE_ADDR="203.0.113.8")

    failed, signed = (Event.objects.get(organisation=alpha.org, action=a)
                      for a in ("auth.sign_in_failed", "auth.signed_in"))
    assert (failed.actor, failed.ip, failed.changes) == (
        alpha.manager, "203.0.113.7", {"email": alpha.manager.email})
    assert "password" not in str(failed.changes).lower()
    assert (signed.actor_email, signed.ip) == (alpha.manager.email, "203.0.113.8")
    assert not Event.objects.filter(organisation=world.beta.org).exists()


def test_it_records_who_changed_a_role_from_where_and_what_changed(world: World) -> None:
    alpha = world.alpha
    target = alpha.memberships["analyst"]

    client_for(alpha.owner).post(f"/team/{target.pk}/role/", {"role": Role.MANAGER},
                                 REMOTE_ADDR="198.51.100.4")

    event = Event.objects.get(organisation=alpha.org, action="member.role_changed")
    assert (event.actor, event.ip) == (alpha.owner, "198.51.100.4")
    assert event.changes == {"user": alpha.analyst.email, "role": ["analyst", "manager"]}


def test_it_records_settings_changes_as_before_and_after(world: World) -> None:
    alpha = world.alpha
    browser = client_for(alpha.owner)
    form = browser.get("/settings/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}

    browser.post("/settings/", {**data, "phone": "+7 495 000-00-00"})

    event = Event.objects.get(organisation=alpha.org, action="organisation.settings_changed")
    assert event.changes == {"phone": [form.initial.get("phone", ""), "+7 495 000-00-00"]}


def test_it_never_changes_or_deletes_an_event(world: World) -> None:
    event = record(world.alpha.org, "auth.signed_in", actor=world.alpha.owner)

    event.action = "nothing.happened"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        Event.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnly):
        Event.objects.all().delete()
    assert Event.objects.get(pk=event.pk).action == "auth.signed_in"


def test_it_shows_owners_their_own_log_filtered_and_as_csv(world: World) -> None:
    alpha, beta = world.alpha, world.beta
    record(alpha.org, "channel.removed", actor=alpha.manager, target="Channel 1",
           changes={"name": "Alpha VK"})
    record(alpha.org, "api_token.created", actor=alpha.owner, changes={"name": "Zapier"})
    record(beta.org, "channel.removed", actor=beta.owner, changes={"name": "Beta secret"})
    browser = client_for(alpha.owner, language="ru")

    page = browser.get("/settings/audit/", {"action": "channel."}).content.decode()
    export = browser.get("/settings/audit/", {"who": "manager", "format": "csv"})

    assert "Канал удалён" in page and "Alpha VK" in page
    assert "Zapier" not in page and "Beta secret" not in page
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0] == ["at", "who", "ip", "action", "object", "changes"]
    assert [(r[1], r[3]) for r in rows[1:]] == [(alpha.manager.email, "channel.removed")]
    assert actions(alpha.org)[-1] == "audit.exported"


@pytest.mark.parametrize("person", ["manager", "analyst", "client"])
def test_it_shows_the_log_to_owners_only(world: World, person: str) -> None:
    response = client_for(getattr(world.alpha, person)).get("/settings/audit/")

    assert response.status_code in {403, 404}


def test_it_records_sign_outs(world: World) -> None:
    alpha = world.alpha
    browser = client_for(alpha.manager)

    browser.post("/logout/", REMOTE_ADDR="203.0.113.9")
    client_for(None).post("/logout/")  # nobody signed in: nothing to record

    event = Event.objects.get(organisation=alpha.org, action="auth.signed_out")
    assert (event.actor, event.ip) == (alpha.manager, "203.0.113.9")
    assert Event.objects.filter(action="auth.signed_out").count() == 1


def test_it_records_a_media_deletion_and_a_lead_status_change(
    world: World, settings: object, tmp_path: object,
) -> None:
    from kosmmos.briefs.models import LeadStatus
    from kosmmos.content.tests.conftest import make_media

    alpha = world.alpha
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    item = make_media(alpha.client_workspace, "logo.png")
    browser = client_for(alpha.manager)
    browser.post(f"/content/media/{item.pk}/delete/")
    lead = alpha.leads[0]
    was = lead.status
    browser.post(f"/leads/{lead.pk}/status/", {"status": LeadStatus.WON})

    deleted = Event.objects.get(organisation=alpha.org, action="media.deleted")
    assert deleted.actor == alpha.manager and deleted.changes["file"].endswith(".png")
    moved = Event.objects.get(organisation=alpha.org, action="lead.status_changed")
    assert (moved.actor, moved.changes) == (alpha.manager, {"status": [was, "won"]})
