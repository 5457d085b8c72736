"""VK community connector (API 5.199).

Credentials: ``user_token`` (an editor or administrator of the community: posting, uploads,
wall reads and statistics accept user tokens only), optional ``community_token`` (reads and
events; no expiry) and optional ``user_token_expires_at`` (ISO 8601; VK ID user tokens expire).
Config: ``external_id`` = the community's numeric id (without the minus sign).

Reconciliation: VK does not return the ``guid`` we send with ``wall.post``, so ``find()`` reads
the newest 100 wall posts (``filter=owner``) and the postponed ones and matches a post whose text
is exactly the text we send (after trimming), with the same number of photo/video attachments,
dated no earlier than ten minutes before ``publish_at`` (or within the last day when the request
has no ``publish_at``). The newest such post wins.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from kosmmos.connectors.base import (
    AuthRevoked,
    ChannelInfo,
    ConnectorError,
    Limits,
    PostStats,
    PublishedPost,
    PublishRequest,
)
from kosmmos.connectors.demographics import Demographics, from_vk_stats
from kosmmos.connectors.text import compose_text
from kosmmos.connectors.vk.client import GROUP, USER, VkClient

# VK posts a postponed post itself when publish_date is in the future; closer than this we post
# at once (the engine already waited for the slot, and VK refuses a date in the past).
POSTPONE_MARGIN = timedelta(minutes=1)
FIND_SLACK = timedelta(minutes=10)
FIND_WINDOW = timedelta(days=1)
READ_CHUNK = 100  # wall.getById
REACH_CHUNK = 30  # stats.getPostReach
EDITOR_LEVEL = 2  # admin_level: 1 moderator, 2 editor, 3 administrator


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _group_of(response: Any) -> dict[str, Any]:
    """groups.getById answers ``{"groups": [...], "profiles": [...]}`` in 5.199 (a bare list in
    older versions); accept both."""
    groups = response.get("groups", []) if isinstance(response, dict) else response
    if not groups:
        raise ConnectorError(_("VK did not return the community."), permanent=True)
    return dict(groups[0])


class VkConnector:
    code = "vk"
    limits = Limits(
        text_max=16384,
        caption_max=None,
        media_max=10,
        media_min_group=1,
        photo_max_bytes=50 * 2**20,
        video_max_bytes=2 * 2**30,  # VK accepts far larger videos; we cap what we upload
        links_max=1,
        supports_ads_mark=True,
    )

    def __init__(self, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        raw = str(config.get("external_id", "")).strip().lstrip("-")
        if not raw.isdigit():
            raise ConnectorError(_("The VK community id must be a number."), permanent=True)
        self.group_id = int(raw)
        self.owner_id = -self.group_id
        user_token = str(credentials.get("user_token") or "")
        if not user_token:
            raise AuthRevoked(_("No VK user token is saved for this channel."))
        self.user = VkClient(user_token, kind=USER)
        community_token = str(credentials.get("community_token") or "")
        self.community = VkClient(community_token, kind=GROUP) if community_token else None
        self.token_expires_at = _parse_time(credentials.get("user_token_expires_at"))

    # --- Channel ---------------------------------------------------------------------------------

    def check(self) -> ChannelInfo:
        problems: list[str] = []
        # https://dev.vk.com/ru/method/groups.getById
        group = _group_of(self.user.call("groups.getById", {
            "group_id": self.group_id, "fields": "members_count,can_post",
        }))
        can_post = bool(group.get("is_admin")) and int(group.get("admin_level") or 0) >= EDITOR_LEVEL
        if not can_post:
            problems.append(_("The token's user is not an editor or administrator of the "
                              "community, so posts cannot be published on its behalf."))
        if self.community is None:
            problems.append(_("No community token: comments and events will not be read."))
        else:
            try:
                # https://dev.vk.com/ru/method/groups.getById — asked without group_id, a
                # community token answers with its own community (with a group_id it would
                # answer that group for any token, and the check could never fire).
                own = _group_of(self.community.call("groups.getById", {}))
                if int(own.get("id") or 0) != self.group_id:
                    problems.append(_("The community token belongs to another community."))
            except AuthRevoked:
                problems.append(_("VK rejected the community token; create a new one."))
        if self.token_expires_at and self.token_expires_at <= datetime.now(UTC):
            problems.append(_("The VK user token has expired."))
        return ChannelInfo(
            title=str(group.get("name") or f"club{self.group_id}"),
            can_post=can_post,
            followers=group.get("members_count"),
            token_expires_at=self.token_expires_at,
            problems=tuple(problems),
        )

    def followers(self) -> int | None:
        client = self.community or self.user
        # https://dev.vk.com/ru/method/groups.getById
        group = _group_of(client.call("groups.getById", {
            "group_id": self.group_id, "fields": "members_count",
        }))
        count = group.get("members_count")
        return int(count) if count is not None else None

    def demographics(self, days: int = 30) -> Demographics | None:
        """Sex, age, sex × age and cities of the community's visitors over the last ``days``
        days (user token only: VK refuses stats.* to community tokens)."""
        now = datetime.now(UTC)
        # https://dev.vk.com/ru/method/stats.get
        found = self.user.call("stats.get", {
            "group_id": self.group_id, "timestamp_from": int((now - timedelta(days=days))
                                                             .timestamp()),
            "timestamp_to": int(now.timestamp()), "interval": "all",
            "stats_groups": "visitors",
        })
        return from_vk_stats(found, now.date())

    # --- Posts -----------------------------------------------------------------------------------

    def _validate(self, text: str, request: PublishRequest) -> None:
        if len(text) > self.limits.text_max:
            raise ConnectorError(
                _("The text is %(n)s characters; VK accepts at most %(max)s.")
                % {"n": len(text), "max": self.limits.text_max}, permanent=True)
        if len(request.media) > self.limits.media_max:
            raise ConnectorError(
                _("VK accepts at most %(max)s photos and videos in a post.")
                % {"max": self.limits.media_max}, permanent=True)

    def _upload_photo(self, path: str, mime: str, name: str) -> str:
        # https://dev.vk.com/ru/method/photos.getWallUploadServer
        server = self.user.call("photos.getWallUploadServer", {"group_id": self.group_id})
        # https://dev.vk.com/ru/api/upload/wall-photo — multipart field "photo"
        uploaded = self.user.upload(server["upload_url"], "photo", path, mime, name)
        if not uploaded.get("photo") or uploaded.get("photo") == "[]":
            raise ConnectorError(_("VK did not accept the photo %(name)s.") % {"name": name or path},
                                 permanent=True)
        # https://dev.vk.com/ru/method/photos.saveWallPhoto
        saved = self.user.call("photos.saveWallPhoto", {
            "group_id": self.group_id, "server": uploaded["server"],
            "photo": uploaded["photo"], "hash": uploaded["hash"],
        })
        photo = saved[0]
        return f"photo{photo['owner_id']}_{photo['id']}"

    def _upload_video(self, path: str, mime: str, name: str) -> str:
        # https://dev.vk.com/ru/method/video.save
        saved = self.user.call("video.save", {"group_id": self.group_id, "name": name or "video"})
        # https://dev.vk.com/ru/api/upload/video-in-profile — multipart field "video_file"
        self.user.upload(saved["upload_url"], "video_file", path, mime, name)
        return f"video{saved['owner_id']}_{saved['video_id']}"

    def _attachments(self, request: PublishRequest) -> list[str]:
        found: list[str] = []
        for item in request.media:
            if item.kind == "photo":
                found.append(self._upload_photo(item.path, item.mime, item.name))
            elif item.kind == "video":
                found.append(self._upload_video(item.path, item.mime, item.name))
            else:
                raise ConnectorError(f"VK: unsupported media kind {item.kind!r}", permanent=True)
        return found

    def url(self, post_id: str | int) -> str:
        return f"https://vk.com/wall{self.owner_id}_{post_id}"

    def publish(self, request: PublishRequest) -> PublishedPost:
        text = compose_text(request)
        self._validate(text, request)
        attachments = self._attachments(request)
        params: dict[str, Any] = {
            "owner_id": self.owner_id, "from_group": 1, "message": text, "guid": request.key,
        }
        if attachments:
            params["attachments"] = ",".join(attachments)
        if request.is_ad:
            params["mark_as_ads"] = 1
        now = datetime.now(UTC)
        if request.publish_at and request.publish_at > now + POSTPONE_MARGIN:
            params["publish_date"] = int(request.publish_at.timestamp())
        # https://dev.vk.com/ru/method/wall.post
        response = self.user.call("wall.post", params, publishing=True)
        post_id = response["post_id"]
        published = request.publish_at if "publish_date" in params else now
        return PublishedPost(external_id=str(post_id), url=self.url(post_id),
                             published_at=published, raw=dict(response))

    def find(self, request: PublishRequest) -> PublishedPost | None:
        text = compose_text(request).strip()
        since = (request.publish_at - FIND_SLACK if request.publish_at
                 else datetime.now(UTC) - FIND_WINDOW).timestamp()
        matches: list[dict[str, Any]] = []
        for wall_filter in ("owner", "postponed"):
            # https://dev.vk.com/ru/method/wall.get
            page = self.user.call("wall.get", {
                "owner_id": self.owner_id, "count": 100, "filter": wall_filter,
            })
            for item in page.get("items", []):
                media = [a for a in item.get("attachments", []) if a.get("type") in ("photo", "video")]
                if (str(item.get("text", "")).strip() == text
                        and len(media) == len(request.media)
                        and int(item.get("date") or 0) >= since):
                    matches.append(item)
        if not matches:
            return None
        best = max(matches, key=lambda item: (int(item.get("date") or 0), int(item["id"])))
        return PublishedPost(
            external_id=str(best["id"]), url=self.url(best["id"]),
            published_at=datetime.fromtimestamp(int(best["date"]), UTC), raw=best,
        )

    def _post(self, external_id: str) -> dict[str, Any] | None:
        # https://dev.vk.com/ru/method/wall.getById
        found = self.user.call("wall.getById", {"posts": f"{self.owner_id}_{external_id}"})
        items = found.get("items", []) if isinstance(found, dict) else found
        return dict(items[0]) if items else None

    def edit(self, external_id: str, request: PublishRequest) -> None:
        """Change the text; the post keeps the attachments it has (wall.edit replaces the whole
        attachment list, so we send the current one back). Media changes need a new post."""
        text = compose_text(request)
        self._validate(text, request)
        current = self._post(external_id)
        if current is None:
            raise ConnectorError(_("The post is no longer on VK."), permanent=True)
        kept = []
        for attachment in current.get("attachments", []):
            kind = attachment.get("type")
            obj = attachment.get(kind) or {}
            if kind in ("photo", "video", "doc", "audio", "poll") and "id" in obj:
                ref = f"{kind}{obj['owner_id']}_{obj['id']}"
                kept.append(f"{ref}_{obj['access_key']}" if obj.get("access_key") else ref)
            elif kind == "link" and obj.get("url"):
                kept.append(str(obj["url"]))
        params: dict[str, Any] = {"owner_id": self.owner_id, "post_id": external_id,
                                  "message": text}
        if kept:
            params["attachments"] = ",".join(kept)
        if request.is_ad:
            params["mark_as_ads"] = 1
        # https://dev.vk.com/ru/method/wall.edit
        self.user.call("wall.edit", params)

    def delete(self, external_id: str) -> None:
        # https://dev.vk.com/ru/method/wall.delete
        self.user.call("wall.delete", {"owner_id": self.owner_id, "post_id": external_id})

    def post_stats(self, external_ids: list[str]) -> dict[str, PostStats]:
        counts: dict[str, dict[str, int | None]] = {}
        for start in range(0, len(external_ids), READ_CHUNK):
            chunk = external_ids[start:start + READ_CHUNK]
            # https://dev.vk.com/ru/method/wall.getById
            found = self.user.call("wall.getById", {
                "posts": ",".join(f"{self.owner_id}_{pid}" for pid in chunk),
            })
            for item in found.get("items", []) if isinstance(found, dict) else found:
                counts[str(item["id"])] = {
                    "views": (item.get("views") or {}).get("count"),
                    "likes": (item.get("likes") or {}).get("count"),
                    "comments": (item.get("comments") or {}).get("count"),
                    "reposts": (item.get("reposts") or {}).get("count"),
                }
        reach: dict[str, int] = {}
        for start in range(0, len(external_ids), REACH_CHUNK):
            chunk = external_ids[start:start + REACH_CHUNK]
            try:
                # https://dev.vk.com/ru/method/stats.getPostReach
                rows = self.user.call("stats.getPostReach", {
                    "owner_id": self.owner_id, "post_ids": ",".join(chunk),
                })
            except AuthRevoked:
                raise
            except ConnectorError as exc:
                if not exc.permanent:
                    raise
                break  # no statistics access (not an administrator, or too few members)
            for row in rows:
                reach[str(row["post_id"])] = int(row.get("reach_total") or 0)
        return {
            pid: PostStats(reach=reach.get(pid), **counts[pid])
            for pid in external_ids if pid in counts
        }
