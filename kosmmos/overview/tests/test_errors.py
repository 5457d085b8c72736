"""Error pages in the product's layout, in the viewer's language, with one rule for roles."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from kosmmos.conftest import World, client_for
from kosmmos.overview.errors import server_error

pytestmark = pytest.mark.django_db


def test_it_tells_a_client_an_agency_page_is_not_for_their_role(world: World) -> None:
    for language, words in (("ru", "Ваша роль не даёт открыть"), ("en", "Your role cannot")):
        page = client_for(world.alpha.client, language=language).get("/leads/")
        assert page.status_code == 403
        body = page.content.decode()
        assert words in body and 'class="navbar' in body and 'href="/"' in body


def test_it_hides_another_agencys_object_behind_a_styled_404(world: World) -> None:
    lead = world.beta.leads[0]
    for language, words in (("ru", "Такой страницы нет"), ("en", "There is no such page")):
        page = client_for(world.alpha.owner, language=language).get(f"/leads/{lead.pk}/")
        assert page.status_code == 404
        assert words in page.content.decode() and 'class="navbar' in page.content.decode()


def test_it_answers_an_unknown_address_with_the_styled_404_signed_out(client: object) -> None:
    page = client.get("/no-such-page/")  # type: ignore[attr-defined]
    assert page.status_code == 404
    assert "/login/?next=/no-such-page/" in page.content.decode()


@override_settings(LANGUAGE_CODE="ru")
def test_it_renders_the_500_page_in_the_layout() -> None:
    request = RequestFactory().get("/")
    page = server_error(request)
    assert page.status_code == 500
    assert "Ошибка 500" in page.content.decode() or "Error 500" in page.content.decode()


def test_it_sends_a_get_on_the_sla_address_to_the_analytics_page(world: World) -> None:
    ws = world.alpha.client_workspace
    page = client_for(world.alpha.manager).get(f"/workspaces/{ws.pk}/inbox/sla/")
    assert page.status_code == 302 and page["Location"].endswith(f"/workspaces/{ws.pk}/inbox/analytics/")


def test_it_answers_a_get_on_a_form_address_with_a_page(world: World) -> None:
    ws = world.alpha.client_workspace
    page = client_for(world.alpha.manager, language="en").get(
        f"/workspaces/{ws.pk}/inbox/retrain/")
    assert page.status_code == 405 and "This address is a form's" in page.content.decode()
    assert 'class="navbar' in page.content.decode()


def test_it_serves_a_favicon_where_browsers_ask_for_it(client: object) -> None:
    answer = client.get("/favicon.ico")  # type: ignore[attr-defined]
    assert answer.status_code == 301 and answer["Location"].endswith("kosmmos/favicon.svg")
