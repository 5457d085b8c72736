"""The overview's "today by client" table: inbox, SLA and publishing figures per workspace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kosmmos.accounts.models import Workspace
from kosmmos.conftest import World, client_for
from kosmmos.content.models import Post, PostStatus, PostTarget, TargetStatus
from kosmmos.inbox.models import InboxProfile
from kosmmos.inbox.testing import make_channel, make_item, make_target
from kosmmos.overview.rows import workspace_rows

pytestmark = pytest.mark.django_db


def test_it_counts_what_needs_attention_per_client(world: World) -> None:
    alpha = world.alpha
    busy, quiet = alpha.client_workspace, alpha.other_workspace
    vk = make_channel(busy, "vk", "1")
    now = timezone.now()
    make_item(vk, "ужас", sentiment="negative", received_at=now - timedelta(hours=3))
    make_item(vk, "вопрос", sentiment="neutral", received_at=now - timedelta(minutes=5),
              scores={"negative": 0.4, "neutral": 0.55, "positive": 0.05})  # possible complaint
    make_item(vk, "отвечено", sentiment="negative", received_at=now - timedelta(hours=5),
              first_response_at=now - timedelta(hours=4))
    make_item(vk, "закрыто", sentiment="negative", status="closed")
    make_item(vk, "репост", kind="repost")  # not a conversation
    # A 2-hour target: the 3-hour-old one is overdue, the answered one is not.
    InboxProfile.objects.create(organisation=alpha.org, workspace=busy, sla_minutes=120)
    make_target(vk, "p1")  # published: nothing to do
    PostTarget.objects.filter(post=make_target(vk, "p2").post).update(status=TargetStatus.FAILED)
    due = make_target(vk, "p3").post
    PostTarget.objects.create(organisation=alpha.org, post=due, channel=make_channel(
        busy, "telegram", "@c"), status=TargetStatus.QUEUED)  # one post, two channels
    PostTarget.objects.filter(post=due).update(
        status=TargetStatus.SCHEDULED, publish_at=now + timedelta(hours=3))
    PostTarget.objects.filter(post=make_target(vk, "p4").post).update(
        status=TargetStatus.SCHEDULED, publish_at=now + timedelta(days=3))
    Post.objects.create(organisation=alpha.org, workspace=busy, title="На согласовании",
                        text="…", status=PostStatus.IN_REVIEW)
    # Another agency's workspace with the same troubles must not count here.
    other = make_channel(world.beta.client_workspace, "vk", "2")
    make_item(other, "чужой негатив", sentiment="negative", received_at=now - timedelta(days=1))

    rows = workspace_rows(Workspace.objects.filter(organisation=alpha.org))
    assert rows[0].workspace == busy  # the one that needs attention first
    first = rows[0]
    assert (first.open_items, first.open_negative, first.open_maybe, first.overdue,
            first.due_today, first.in_review, first.troubles) == (2, 1, 1, 1, 1, 1, 1)
    second = next(r for r in rows if r.workspace == quiet)
    assert not second.needs_attention and second.open_items == 0


def test_it_uses_the_default_target_without_a_profile(world: World) -> None:
    vk = make_channel(world.alpha.client_workspace, "vk", "1")
    make_item(vk, "давно", received_at=timezone.now() - timedelta(minutes=61))
    make_item(vk, "недавно", received_at=timezone.now() - timedelta(minutes=59))
    row = next(r for r in workspace_rows(Workspace.objects.filter(organisation=world.alpha.org))
               if r.workspace == world.alpha.client_workspace)
    assert (row.open_items, row.overdue) == (2, 1)


def test_it_shows_the_table_to_the_agency_with_links_to_act(world: World) -> None:
    ws = world.alpha.client_workspace
    vk = make_channel(ws, "vk", "1")
    make_item(vk, "ужас", sentiment="negative", received_at=timezone.now() - timedelta(hours=2))
    page = client_for(world.alpha.manager, language="en").get("/").content.decode()
    assert "Today by client" in page
    assert f"/workspaces/{ws.pk}/inbox/?overdue=1" in page
    assert f"/workspaces/{ws.pk}/inbox/?waiting=1&amp;sentiment=negative" in page
    assert world.beta.client_workspace.name not in page
    # Clients see their workspaces, not the agency's inbox figures.
    client_page = client_for(world.alpha.client, language="en").get("/").content.decode()
    assert "Today by client" not in client_page
