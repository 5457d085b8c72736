"""Builders for inbox tests (ours, the isolation walk's and the browser test's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils import timezone

from kosmmos.accounts.models import User, Workspace
from kosmmos.channels.models import Channel
from kosmmos.content.models import Post, PostTarget, TargetStatus
from kosmmos.inbox.models import (
    CannedReply,
    ChannelInbox,
    Item,
    Reply,
    ReplyStatus,
    RetrainRun,
)

FIXTURES = Path(__file__).resolve().parent / "tests" / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def make_channel(workspace: Workspace, network: str, external_id: str, *, name: str = "",
                 config: dict[str, Any] | None = None,
                 credentials: dict[str, Any] | None = None) -> Channel:
    channel = Channel(organisation_id=workspace.organisation_id, workspace=workspace,
                      network=network, name=name or f"{workspace.name} {network}",
                      external_id=external_id, config=config or {})
    channel.credentials = credentials or {}
    channel.save()
    ChannelInbox.objects.get_or_create(channel=channel,
                                       defaults={"organisation_id": channel.organisation_id})
    return channel


def make_target(channel: Channel, external_id: str, title: str = "") -> PostTarget:
    post = Post.objects.create(organisation_id=channel.organisation_id,
                               workspace_id=channel.workspace_id,
                               title=title or f"Post {external_id}", text="Текст поста")
    return PostTarget.objects.create(
        organisation_id=channel.organisation_id, post=post, channel=channel,
        status=TargetStatus.PUBLISHED, external_id=external_id, published_at=timezone.now())


def make_item(channel: Channel, text: str, *, sentiment: str = "", external_id: str = "",
              **fields: Any) -> Item:
    return Item.objects.create(
        organisation_id=channel.organisation_id, workspace_id=channel.workspace_id,
        channel=channel, network=channel.network, kind=fields.pop("kind", "comment"),
        external_id=external_id or f"x{Item.objects.count() + 1}", text=text,
        sentiment=sentiment, **fields)


def isolation_objects(workspace: Workspace, user: User) -> dict[str, Any]:
    """One of each inbox object in ``workspace`` (made once), for the isolation walk."""
    channel = Channel.objects.filter(workspace=workspace, external_id="iso-hook").first()
    if channel is None:
        channel = make_channel(workspace, "vk", "iso-hook", name=f"{workspace.name} VK",
                               credentials={"vk_secret": "iso-secret"})
    item = Item.objects.filter(channel=channel).first() or make_item(
        channel, f"{workspace.name} private complaint", external_id="iso-1")
    reply = Reply.objects.filter(item=item).first() or Reply.objects.create(
        organisation_id=workspace.organisation_id, item=item, author=user,
        text=f"{workspace.name} private answer", status=ReplyStatus.FAILED, last_error="boom")
    canned = CannedReply.objects.filter(workspace=workspace).first() or CannedReply.objects.create(
        organisation_id=workspace.organisation_id, workspace=workspace,
        title=f"{workspace.name} canned", text="Hello {name}")
    run = RetrainRun.objects.filter(workspace=workspace).first() or RetrainRun.objects.create(
        organisation_id=workspace.organisation_id, workspace=workspace, requested_by=user)
    return {"item": item, "reply": reply, "canned": canned, "run": run,
            "connection": channel.inbox, "hook_code": channel.inbox.code}
