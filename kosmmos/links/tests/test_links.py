"""Links: targets checked once at save, UTM tags, wrap_links, QR codes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError

from kosmmos.conftest import World, client_for
from kosmmos.links import actions
from kosmmos.links.models import TrackedLink
from kosmmos.links.targets import clean_target

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    "ftp://files.example/x", "//evil.example/x", "http://127.0.0.1/admin", "http://10.0.0.5/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]:8000/", "http://192.168.1.1/",
    "http://user:pass@shop.example/", "https://shop.example/a\r\nSet-Cookie: x=1", "http:///nohost",
    "http://go.kosmmos.test/abcdefgh",
])
def test_it_refuses_unsafe_targets_at_save(target: str) -> None:
    with pytest.raises(ValidationError):
        clean_target(target)


def test_it_resolves_names_when_dns_checks_are_on(settings: object) -> None:
    settings.KOSMMOS_RESOLVE_URLS = True
    with pytest.raises(ValidationError):
        clean_target("http://localhost:8000/")  # resolves to loopback
    # We never fetch targets: a name that does not resolve from here is accepted as typed.
    assert clean_target("https://no-such-host.invalid/") == "https://no-such-host.invalid/"


def test_it_stores_targets_in_ascii() -> None:
    assert clean_target("https://магазин.рф/скидки?q=да") == (
        "https://xn--80aairftm.xn--p1ai/%D1%81%D0%BA%D0%B8%D0%B4%D0%BA%D0%B8?q=%D0%B4%D0%B0"
    )


def test_it_builds_utm_tags(world: World) -> None:
    link = actions.create_link(
        world.alpha.client_workspace, target_url="https://shop.example/sale?utm_source=old&x=1#top",
        network="vk", medium="cpc", campaign="Spring Sale", post_ref="post-42",
    )
    dest = urlsplit(link.destination())
    query = parse_qs(dest.query)
    assert query == {"x": ["1"], "utm_source": ["vk"], "utm_medium": ["cpc"],
                     "utm_campaign": ["spring-sale"], "utm_content": ["post-42"]}
    assert dest.fragment == "top"
    assert len(link.code) == 8 and link.short_url == f"http://go.kosmmos.test/{link.code}"


def test_it_makes_random_codes(world: World) -> None:
    codes = [actions.create_link(world.alpha.client_workspace, target_url=f"https://shop.example/{i}",
                                 network="ok").code for i in range(5)]
    assert len(set(codes)) == 5
    assert codes != sorted(codes) or len({c[:4] for c in codes}) > 1


def test_it_wraps_links_in_a_post_idempotently(world: World) -> None:
    ws = world.alpha.client_workspace
    text = ("Скидки до 50%: https://shop.example/sale. Каталог (https://shop.example/c?a=1&b=2), "
            "и снова https://shop.example/sale! Внутренний http://10.0.0.1/x не трогаем.")
    wrapped = actions.wrap_links(text, workspace=ws, network="telegram", post_ref="p-1", campaign="Весна")
    links = list(TrackedLink.objects.filter(workspace=ws))
    assert len(links) == 2
    for link in links:
        assert link.short_url in wrapped
        assert link.post_ref == "p-1" and link.network == "telegram" and link.campaign.name == "Весна"
    assert "https://shop.example" not in wrapped
    assert "http://10.0.0.1/x" in wrapped  # refused target left as it was
    assert wrapped.count(links[0].short_url) + wrapped.count(links[1].short_url) == 3
    assert ". Каталог (" in wrapped and "), и снова" in wrapped and "! Внутренний" in wrapped
    again = actions.wrap_links(text, workspace=ws, network="telegram", post_ref="p-1")
    assert again == wrapped
    assert TrackedLink.objects.filter(workspace=ws).count() == 2
    # Another network variant of the same post gets its own links (its own utm_source).
    actions.wrap_links(text, workspace=ws, network="vk", post_ref="p-1")
    assert TrackedLink.objects.filter(workspace=ws).count() == 4
    # Wrapping an already wrapped text changes nothing.
    assert actions.wrap_links(wrapped, workspace=ws, network="telegram", post_ref="p-1") == wrapped


def test_it_creates_a_link_from_the_form_and_shows_its_qr(world: World) -> None:
    ws = world.alpha.client_workspace
    browser = client_for(world.alpha.manager)
    response = browser.post(f"/workspaces/{ws.pk}/money/links/new/", {
        "target_url": "https://shop.example/new", "network": "vk", "medium": "social",
        "campaign": "Launch", "post_ref": "", "title": "New arrivals", "tags": "spring, sale",
    })
    link = TrackedLink.objects.get(workspace=ws)
    assert response.status_code == 302 and response["Location"] == f"/money/links/{link.pk}/"
    page = browser.get(f"/money/links/{link.pk}/").content.decode()
    assert link.short_url in page and "<svg" in page
    qr = browser.get(f"/money/links/{link.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<svg")
    listing = browser.get(f"/workspaces/{ws.pk}/money/links/?tag=spring").content.decode()
    assert "New arrivals" in listing


def test_it_filters_links_by_a_cyrillic_tag_whatever_its_case(world: World) -> None:
    ws = world.alpha.client_workspace
    actions.create_link(ws, target_url="https://shop.example/a", network="vk", title="Весна",
                        tags="Весна, Распродажа")
    actions.create_link(ws, target_url="https://shop.example/b", network="vk", title="Осень",
                        tags="осень")
    browser = client_for(world.alpha.manager)

    def titles(tag: str) -> list[str]:
        rows = browser.get(f"/workspaces/{ws.pk}/money/links/", {"tag": tag}).context["rows"]
        return sorted(row.link.title for row in rows)

    assert titles("весна") == ["Весна"]
    assert titles("РАСПРОДАЖА") == ["Весна"]
    assert titles("Осень") == ["Осень"]
    assert titles("зима") == []


def test_it_refuses_a_private_target_in_the_form(world: World) -> None:
    ws = world.alpha.client_workspace
    response = client_for(world.alpha.owner, language="en").post(f"/workspaces/{ws.pk}/money/links/new/", {
        "target_url": "javascript:alert(document.cookie)", "network": "vk", "medium": "social",
    })
    assert response.status_code == 400
    assert "Only http:// and https:// addresses can be linked." in response.content.decode()
    assert not TrackedLink.objects.exists()
