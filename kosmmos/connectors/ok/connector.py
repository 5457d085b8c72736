"""Odnoklassniki group connector.

Credentials: ``application_key`` (public), ``application_secret_key``, ``access_token`` (a
LONG_ACCESS_TOKEN of a group administrator: 30 days, extended on use) and optional
``access_token_expires_at`` (ISO 8601). Config: ``external_id`` = the group id (gid).

Reconciliation: OK has no idempotency key. ``find()`` lists the group's newest topics with
``mediatopic.getTopics`` and matches the topic whose text equals the text we send, created no
earlier than ten minutes before ``publish_at`` (or within the last day). We use getTopics rather
than ``group.getStatTopics``: the statistics list carries counters but not the topic's text, so
it cannot tell our topic from another.
"""

from __future__ import annotations

import json
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
from kosmmos.connectors.demographics import Demographics, from_ok_stat_people
from kosmmos.connectors.ok.client import OkClient
from kosmmos.connectors.text import compose_text

FIND_SLACK = timedelta(minutes=10)
FIND_WINDOW = timedelta(days=1)
FIND_COUNT = 50
POSTPONE_MARGIN = timedelta(minutes=1)
STAT_FIELDS = "reach,renderings,likes,comments,reshares"
POSTING_ROLES = {"ADMIN", "MODERATOR", "EDITOR"}


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _topic_text(topic: dict[str, Any]) -> str:
    return "\n".join(
        str(m.get("text", "")) for m in topic.get("media", []) if m.get("type") == "text"
    ).strip()


def _memberships(found: Any) -> list[dict[str, Any]]:
    """group.getUserGroupsByIds answers {"memberships": [...]} on its page; a bare list is
    accepted too. Anything else is a connector error, not a KeyError."""
    if isinstance(found, dict):
        found = found.get("memberships")
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
        raise ConnectorError(f"OK group.getUserGroupsByIds: unexpected answer {str(found)[:200]}")
    return found


def _may_post(entry: dict[str, Any]) -> bool:
    """ADMIN, MODERATOR and EDITOR post; the page gives EDITOR as a ``role`` (``status`` is
    ACTIVE for any member), older answers gave the role in ``status``."""
    return any(str(entry.get(key) or "").upper() in POSTING_ROLES for key in ("role", "status"))


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


class OkConnector:
    code = "ok"
    # OK documents no topic text limit or attachment count (B): these are conservative values
    # the editor enforces; raise them once confirmed. Video upload is not implemented (0 bytes).
    limits = Limits(
        text_max=16000,
        caption_max=None,
        media_max=10,
        media_min_group=1,
        photo_max_bytes=20 * 2**20,
        video_max_bytes=0,
        links_max=1,
        supports_ads_mark=False,
    )

    def __init__(self, credentials: dict[str, Any], config: dict[str, Any]) -> None:
        self.gid = str(config.get("external_id", "")).strip()
        if not self.gid.isdigit():
            raise ConnectorError(_("The OK group id must be a number."), permanent=True)
        missing = [k for k in ("application_key", "application_secret_key", "access_token")
                   if not credentials.get(k)]
        if missing:
            raise AuthRevoked(_("OK credentials are incomplete: %(keys)s.")
                              % {"keys": ", ".join(missing)})
        self.api = OkClient(str(credentials["application_key"]),
                            str(credentials["application_secret_key"]),
                            str(credentials["access_token"]))
        self.token_expires_at = _parse_time(credentials.get("access_token_expires_at"))

    def url(self, topic_id: str) -> str:
        return f"https://ok.ru/group/{self.gid}/topic/{topic_id}"

    # --- Channel ---------------------------------------------------------------------------------

    def _group(self, fields: str) -> dict[str, Any]:
        # https://apiok.ru/dev/methods/rest/group/group.getInfo
        found = self.api.call("group.getInfo", {"uids": self.gid, "fields": fields})
        # The page shows {"groups": [...]}; a bare list is accepted too (older answers).
        if isinstance(found, dict):
            found = found.get("groups")
        if not isinstance(found, list) or not found or not isinstance(found[0], dict):
            raise ConnectorError(_("OK did not return the group; check its id."), permanent=True)
        return dict(found[0])

    def check(self) -> ChannelInfo:
        problems: list[str] = []
        group = self._group("name,members_count")
        # https://apiok.ru/dev/methods/rest/users/users.getCurrentUser
        me = self.api.call("users.getCurrentUser", {"fields": "uid,name"})
        can_post = False
        try:
            # https://apiok.ru/dev/methods/rest/group/group.getUserGroupsByIds
            found = self.api.call("group.getUserGroupsByIds", {
                "group_id": self.gid, "uids": me.get("uid"),
            })
            can_post = any(_may_post(entry) for entry in _memberships(found))
        except AuthRevoked:
            raise
        except ConnectorError as exc:
            problems.append(_("Could not verify the user's role in the group: %(error)s")
                            % {"error": exc.message})
        if not can_post and not problems:
            problems.append(_("The token's user is not an administrator or moderator of the "
                              "group, so topics cannot be published on its behalf."))
        if self.token_expires_at and self.token_expires_at <= datetime.now(UTC):
            problems.append(_("The OK access token has expired."))
        return ChannelInfo(
            title=str(group.get("name") or self.gid), can_post=can_post,
            followers=_int(group.get("members_count")), token_expires_at=self.token_expires_at,
            problems=tuple(problems),
        )

    def followers(self) -> int | None:
        return _int(self._group("members_count").get("members_count"))

    def demographics(self) -> Demographics | None:
        """Sex, age and cities of all the group's members today (no ``demo_type``: OK gives the
        members' demographics over all members, the other kinds over the last 7 days)."""
        # https://apiok.ru/dev/methods/rest/group/group.getStatPeople
        found = self.api.call("group.getStatPeople", {
            "gid": self.gid, "fields": "CITIES,DEMOGRAPHY_FEMALE,DEMOGRAPHY_MALE"})
        return from_ok_stat_people(found, datetime.now(UTC).date())

    # --- Topics ----------------------------------------------------------------------------------

    def _validate(self, text: str, request: PublishRequest) -> None:
        if len(text) > self.limits.text_max:
            raise ConnectorError(_("The text is %(n)s characters; OK accepts at most %(max)s.")
                                 % {"n": len(text), "max": self.limits.text_max}, permanent=True)
        if len(request.media) > self.limits.media_max:
            raise ConnectorError(_("OK accepts at most %(max)s photos in a topic.")
                                 % {"max": self.limits.media_max}, permanent=True)
        if any(m.kind != "photo" for m in request.media):
            raise ConnectorError(_("Publishing video to OK is not supported yet."),
                                 permanent=True)

    def _upload_photos(self, request: PublishRequest) -> list[str]:
        if not request.media:
            return []
        # https://apiok.ru/dev/methods/rest/photosV2/photosV2.getUploadUrl
        slot = self.api.call("photosV2.getUploadUrl", {"gid": self.gid,
                                                       "count": len(request.media)})
        # https://apiok.ru/dev/methods/rest/photosV2/ — multipart fields pic1..picN
        uploaded = self.api.upload(slot["upload_url"],
                                   [(m.path, m.mime, m.name) for m in request.media])
        photos = uploaded["photos"]
        try:
            return [str(photos[str(pid)]["token"]) for pid in slot["photo_ids"]]
        except KeyError as exc:
            raise ConnectorError(_("OK did not return a token for every photo."),
                                 permanent=True) from exc

    def _attachment(self, text: str, tokens: list[str], publish_at: datetime | None) -> str:
        media: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if tokens:
            media.append({"type": "photo", "list": [{"id": t} for t in tokens]})
        attachment: dict[str, Any] = {"media": media, "onBehalfOfGroup": "true"}
        if publish_at:
            attachment["publishAtMs"] = int(publish_at.timestamp() * 1000)
        return json.dumps(attachment, ensure_ascii=False, separators=(",", ":"))

    def publish(self, request: PublishRequest) -> PublishedPost:
        text = compose_text(request)
        self._validate(text, request)
        tokens = self._upload_photos(request)
        now = datetime.now(UTC)
        later = request.publish_at if (
            request.publish_at and request.publish_at > now + POSTPONE_MARGIN) else None
        # https://apiok.ru/dev/methods/rest/mediatopic/mediatopic.post
        topic_id = self.api.call("mediatopic.post", {
            "type": "GROUP_THEME", "gid": self.gid,
            "attachment": self._attachment(text, tokens, later),
        }, publishing=True)
        if isinstance(topic_id, dict):
            topic_id = topic_id.get("id")
        if not topic_id:
            raise ConnectorError(f"OK mediatopic.post: unexpected answer {topic_id!r}")
        return PublishedPost(external_id=str(topic_id), url=self.url(str(topic_id)),
                             published_at=later or now, raw={"id": str(topic_id)})

    def find(self, request: PublishRequest) -> PublishedPost | None:
        text = compose_text(request).strip()
        since_ms = (request.publish_at - FIND_SLACK if request.publish_at
                    else datetime.now(UTC) - FIND_WINDOW).timestamp() * 1000
        # https://apiok.ru/dev/methods/rest/mediatopic/mediatopic.getTopics (B: listed in OK's
        # method reference; fields per its media_topic bean)
        page = self.api.call("mediatopic.getTopics", {
            "gid": self.gid, "count": FIND_COUNT,
            "fields": "media_topic.ID,media_topic.MEDIA,media_topic.CREATED_MS",
        })
        matches = [
            t for t in (page or {}).get("media_topics", [])
            if _topic_text(t) == text and int(t.get("created_ms") or 0) >= since_ms
        ]
        if not matches:
            return None
        best = max(matches, key=lambda t: int(t.get("created_ms") or 0))
        return PublishedPost(
            external_id=str(best["id"]), url=self.url(str(best["id"])),
            published_at=datetime.fromtimestamp(int(best["created_ms"]) / 1000, UTC), raw=best,
        )

    def edit(self, external_id: str, request: PublishRequest) -> None:
        """Replace the topic's text (B: ``mediatopic.edit`` takes the same attachment JSON as
        ``mediatopic.post``). The attachment replaces the whole topic, so a topic with photos
        is refused here rather than silently stripped of them: re-post it instead."""
        text = compose_text(request)
        self._validate(text, request)
        if request.media:
            raise ConnectorError(_("Editing an OK topic with photos is not supported; delete "
                                   "it and publish again."), permanent=True)
        self.api.call("mediatopic.edit", {
            "topic_id": external_id, "gid": self.gid, "type": "GROUP_THEME",
            "attachment": self._attachment(text, [], None),
        })

    def delete(self, external_id: str) -> None:
        # https://apiok.ru/dev/methods/rest/mediatopic/mediatopic.deleteTopic
        self.api.call("mediatopic.deleteTopic", {"gid": self.gid, "topic_id": external_id})

    def post_stats(self, external_ids: list[str]) -> dict[str, PostStats]:
        """Per topic ``group.getStatTopic``; ``views`` are OK's renderings (impressions)."""
        stats: dict[str, PostStats] = {}
        for topic_id in external_ids:
            # https://apiok.ru/dev/methods/rest/group/group.getStatTopic
            found = self.api.call("group.getStatTopic", {"topic_id": topic_id,
                                                         "fields": STAT_FIELDS})
            topic = (found or {}).get("topic") or {}
            stats[topic_id] = PostStats(
                views=_int(topic.get("renderings")), likes=_int(topic.get("likes")),
                comments=_int(topic.get("comments")), reposts=_int(topic.get("reshares")),
                reach=_int(topic.get("reach")),
            )
        return stats
