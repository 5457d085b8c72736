"""The client's home: posts to approve in one click, this month in brief, no agency costs."""

from __future__ import annotations

import pytest

from kosmmos.conftest import World, client_for
from kosmmos.content.models import Post, PostStatus

pytestmark = pytest.mark.django_db


def test_it_shows_the_client_what_waits_and_approves_it_in_one_click(world: World) -> None:
    ws = world.alpha.client_workspace
    post = Post.objects.create(organisation=ws.organisation, workspace=ws, title="Осенняя подборка",
                               text="Пять средств", status=PostStatus.IN_REVIEW)
    hidden = Post.objects.create(organisation=ws.organisation, workspace=world.alpha.other_workspace,
                                 title="Чужой клиент", text="x", status=PostStatus.IN_REVIEW)
    browser = client_for(world.alpha.client, language="en")
    page = browser.get("/").content.decode()
    assert "Waiting for your approval" in page and "Осенняя подборка" in page
    assert hidden.title not in page
    assert "so far" in page and "Revenue" in page
    assert "Costs" not in page and "ROMI" not in page  # the agency's figures stay the agency's
    answer = browser.post(f"/content/posts/{post.pk}/approve/", {"next": "home"})
    assert answer.status_code == 302 and answer["Location"] == "/"
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert "Nothing waits for you" in browser.get("/").content.decode()


def test_it_sends_an_approval_elsewhere_only_to_the_post_page(world: World) -> None:
    ws = world.alpha.client_workspace
    post = Post.objects.create(organisation=ws.organisation, workspace=ws, title="x", text="x",
                               status=PostStatus.IN_REVIEW)
    answer = client_for(world.alpha.client).post(f"/content/posts/{post.pk}/approve/",
                                                 {"next": "https://evil.test/"})
    assert answer["Location"] == f"/content/posts/{post.pk}/"
