from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from kosmmos.audit.models import Event
from kosmmos.briefs.actions import submit_brief
from kosmmos.briefs.models import Brief, Lead
from kosmmos.conftest import World, client_for
from kosmmos.inbox.models import Item
from kosmmos.inbox.testing import make_channel, make_item
from kosmmos.links.events import Click, get_store
from kosmmos.links.models import Conversion
from kosmmos.privacy.actions import (
    REMOVED,
    anonymise,
    apply_retention,
    export_person,
    find_person,
)

EMAIL, PHONE, TG, VK = "olga.vetrova@mail.test", "+7 (916) 555-12-34", "884422117", "551177993"
NAME = "Ольга Ветрова"


def brief_data(**extra: Any) -> dict[str, Any]:
    return {
        "networks": ["vk"], "goals": ["sales"], "product_type": "permanent",
        "budget_rub": Decimal("90000"), "period_months": 3, "kpis": "200 заявок",
        "contact_name": NAME, "company": "Ветрова и партнёры", "phone": PHONE, "email": EMAIL,
        "messenger": "telegram", "messenger_handle": TG, "consent": True, **extra,
    }


@pytest.fixture
def olga(world: World) -> dict[str, Any]:
    """One person known to Alpha through a brief, Telegram and VK comments and a conversion."""
    alpha = world.alpha
    lead = submit_brief(alpha.org, brief_data(), ip="203.0.113.50", user_agent="Firefox",
                        language="ru")
    telegram = make_channel(alpha.client_workspace, "telegram", "-1001")
    vk = make_channel(alpha.client_workspace, "vk", "-2002")
    tg_item = make_item(telegram, f"Позвоните мне: {PHONE}", kind="message", author_ref=TG,
                        author_name=NAME, chat_ref=TG, external_id=f"{TG}:17",
                        raw={"from": {"id": int(TG), "first_name": "Ольга"}})
    vk_item = make_item(vk, "Отличный пост!", author_ref=VK, author_name=NAME,
                        raw={"from_id": int(VK)})
    conversion = Conversion.objects.create(
        organisation=alpha.org, workspace=alpha.client_workspace, event_id=f"order-{VK}",
        kind="purchase", amount=Decimal("1500"), occurred_at=timezone.now(), source="postback",
        click_id=VK)
    # Someone else, who must be left alone.
    other = submit_brief(alpha.org, brief_data(contact_name="Пётр Иванов", email="petr@mail.test", company="ИП Иванов",
                         phone="+7 903 111-22-33", messenger_handle="777"),
                         ip="203.0.113.51", user_agent="Safari", language="ru")
    return {"lead": lead, "tg": tg_item, "vk": vk_item, "conversion": conversion, "other": other}


def dump() -> str:
    """Every row of every table, as text: what a database dump would show."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


@pytest.mark.parametrize(("kind", "value"), [
    ("email", EMAIL.upper()), ("phone", "89165551234"), ("telegram", TG), ("vk", VK)])
def test_it_finds_a_person_by_each_identifier(world: World, olga: dict[str, Any], kind: str,
                                              value: str) -> None:
    person = find_person(world.alpha.org, kind, value)

    if kind in {"email", "phone", "telegram"}:
        assert [b.pk for b in person.briefs] == [olga["lead"].brief_id]
    if kind in {"phone", "telegram"}:
        assert olga["tg"] in person.items
    if kind == "vk":
        assert person.items == [olga["vk"]]
        assert person.conversions == [olga["conversion"]]
    assert olga["other"].brief not in person.briefs
    assert find_person(world.beta.org, kind, value).found is False


def test_it_exports_what_is_held_about_the_person(world: World, olga: dict[str, Any]) -> None:
    person = find_person(world.alpha.org, "telegram", TG)

    data = json.loads(export_person(person, world.alpha.org))

    assert data["briefs"][0]["email"] == EMAIL
    assert data["briefs"][0]["ip"] == "203.0.113.50"
    assert data["inbox_items"][0]["text"] == f"Позвоните мне: {PHONE}"
    assert data["leads"][0]["history"]
    assert EMAIL in json.dumps(data["emails"], ensure_ascii=False)


def test_it_anonymises_so_no_identifier_is_left_anywhere_in_the_database(
    world: World, olga: dict[str, Any],
) -> None:
    alpha = world.alpha
    before = dump()
    assert all(s in before for s in (EMAIL, PHONE, TG, VK, NAME, "203.0.113.50"))

    for kind, value in (("email", EMAIL), ("vk", VK)):
        anonymise(find_person(alpha.org, kind, value), alpha.org)

    after = dump()
    for secret in (EMAIL, PHONE, TG, VK, NAME, "203.0.113.50", "Ветрова и партнёры"):
        assert secret not in after, secret
    for kind, value in (("email", EMAIL), ("phone", PHONE), ("telegram", TG), ("vk", VK)):
        assert find_person(alpha.org, kind, value).found is False
    # The rest of the agency's data is untouched; the revenue still counts.
    assert "petr@mail.test" in after and "Пётр Иванов" in after
    assert Conversion.objects.get(pk=olga["conversion"].pk).amount == Decimal("1500")
    assert Lead.objects.filter(pk=olga["lead"].pk).exists()
    assert Item.objects.get(pk=olga["tg"].pk).text == REMOVED
    events = Event.objects.filter(organisation=alpha.org, action="privacy.anonymised")
    assert events.count() == 2
    assert EMAIL not in str(list(events.values_list("changes", flat=True)))


def test_it_anonymises_the_clicks_behind_the_persons_conversions_in_the_event_store(
    world: World, olga: dict[str, Any], settings: Any, tmp_path: Any,
) -> None:
    settings.LINKS_EVENTS_PATH = tmp_path / "events.sqlite3"
    workspace, link = world.alpha.client_workspace.pk, uuid.uuid4()
    store = get_store()
    store.append_clicks([
        Click(workspace, 1_000, VK, link, referrer="https://vk.com/id" + VK),
        Click(workspace, 2_000, "someone-else", link, referrer="https://t.me/x"),
    ])
    counts = anonymise(find_person(world.alpha.org, "vk", VK), world.alpha.org)
    assert counts["clicks"] == 1
    left = store.clicks(workspace, 0, 10_000)
    assert len(left) == 2 and store.count_raw(workspace) == 2  # the counts do not move
    assert all(VK not in repr(c) for c in left)
    assert {c.click_id for c in left if not c.click_id.startswith("anon-")} == {"someone-else"}
    # Every column of every raw click, bots included, as a dump of the store would show them.
    assert VK not in repr(store.clicks(workspace, 0, 2**62, include_bots=True, limit=10**6))


def test_it_keeps_texts_when_the_agency_chooses_but_not_the_identifiers_in_them(
    world: World, olga: dict[str, Any],
) -> None:
    anonymise(find_person(world.alpha.org, "telegram", TG), world.alpha.org, keep_texts=True)

    item = Item.objects.get(pk=olga["tg"].pk)
    assert item.text == f"Позвоните мне: {REMOVED}"
    assert Brief.objects.get(pk=olga["lead"].brief_id).kpis == "200 заявок"


def test_it_anonymises_leads_and_items_older_than_the_retention(
    world: World, olga: dict[str, Any],
) -> None:
    alpha = world.alpha
    long_ago = timezone.now() - timedelta(days=400)
    Brief.objects.filter(pk=olga["lead"].brief_id).update(submitted_at=long_ago)
    Item.objects.filter(pk=olga["vk"].pk).update(received_at=long_ago)

    done = apply_retention(alpha.org, months=12)
    again = apply_retention(alpha.org, months=12)

    assert done == {"leads": 1, "inbox_items": 1}
    assert again == {"leads": 0, "inbox_items": 0}
    assert Brief.objects.get(pk=olga["other"].brief_id).email == "petr@mail.test"
    assert Brief.objects.get(pk=olga["lead"].brief_id).email.endswith("@anonymised.invalid")
    assert Item.objects.get(pk=olga["vk"].pk).author_ref.startswith("anon-")
    assert Event.objects.filter(organisation=alpha.org, action="privacy.retention").count() == 1


def test_it_lets_owners_search_export_and_anonymise_from_settings(
    world: World, olga: dict[str, Any],
) -> None:
    browser = client_for(world.alpha.owner, language="ru")

    page = browser.get("/settings/personal-data/", {"kind": "email", "value": EMAIL})
    export = browser.post("/settings/personal-data/", {"kind": "email", "value": EMAIL,
                                                       "do": "export"})
    done = browser.post("/settings/personal-data/", {"kind": "email", "value": EMAIL,
                                                     "do": "anonymise"}, follow=True)

    assert page.status_code == 200 and NAME in page.content.decode()
    assert export["Content-Type"].startswith("application/json")
    assert EMAIL in b"".join(export.streaming_content if export.streaming else
                             [export.content]).decode()
    assert "обезличен" in done.content.decode()
    assert find_person(world.alpha.org, "email", EMAIL).found is False


@pytest.mark.parametrize("person", ["manager", "analyst", "client"])
def test_it_keeps_personal_data_requests_to_owners(world: World, olga: dict[str, Any],
                                                   person: str) -> None:
    browser = client_for(getattr(world.alpha, person))

    response = browser.post("/settings/personal-data/", {"kind": "email", "value": EMAIL,
                                                         "do": "anonymise"})

    assert response.status_code in {403, 404}
    assert find_person(world.alpha.org, "email", EMAIL).found is True
