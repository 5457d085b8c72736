"""Content-plan fixtures: channels of every network in Alpha's client workspace, and helpers."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import Channel
from kosmmos.conftest import World
from kosmmos.content.models import MediaItem, Post, PostEvent, PostStatus, PostTarget


@dataclass
class Plan:
    world: World
    workspace: Workspace
    vk: Channel
    telegram: Channel
    ok: Channel
    sandbox: Channel


def make_channel(workspace: Workspace, network: str, name: str) -> Channel:
    return Channel.objects.create(organisation=workspace.organisation, workspace=workspace,
                                  network=network, name=name, external_id=f"{network}-{name}")


@pytest.fixture
def plan(world: World) -> Plan:
    ws = world.alpha.client_workspace
    return Plan(world, ws, make_channel(ws, "vk", "Alpha VK"), make_channel(ws, "telegram", "Alpha TG"),
                make_channel(ws, "ok", "Alpha OK"), make_channel(ws, "sandbox", "Alpha Sandbox"))


def future(days: int = 3, hour: int = 10) -> datetime:
    moment = timezone.localtime(timezone.now() + timedelta(days=days))
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def make_post(workspace: Workspace, *, channels: list[Channel] = (), status: str = PostStatus.DRAFT,
              text: str = "Осенняя подборка", at: datetime | None = None, **extra: Any) -> Post:
    post = Post.objects.create(organisation=workspace.organisation, workspace=workspace, text=text,
                               status=status, publish_at=at if at is not None else future(), **extra)
    for channel in channels:
        PostTarget.objects.create(organisation=workspace.organisation, post=post, channel=channel,
                                  publish_at=post.publish_at)
    PostEvent.objects.create(post=post, kind="created")
    return post


def png_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def make_media(workspace: Workspace, name: str = "photo.png", *, size: int | None = None,
               kind: str = "photo") -> MediaItem:
    from kosmmos.content.media import add_media

    item = add_media(workspace, png_upload(name))
    if size is not None or kind != "photo":
        MediaItem.objects.filter(pk=item.pk).update(size=size or item.size, kind=kind)
        item.refresh_from_db()
    return item


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    """Uploads go to the test's own directory."""
    settings.MEDIA_ROOT = str(tmp_path / "uploads")
