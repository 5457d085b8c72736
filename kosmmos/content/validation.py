"""Checks a post against each network's limits before it may be scheduled.

Works on a ``Draft`` (plain values), so the editor can check what is typed before it is saved and
the importer can check a row before it becomes a post. Limits come from the connector classes
(``connectors.registry``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kosmmos.connectors.base import Limits
from kosmmos.connectors.registry import connector_class
from kosmmos.content import labels

MB = 2**20

NETWORK_NAMES = {"vk": "VK", "ok": "OK", "telegram": "Telegram", "sandbox": "Sandbox"}
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def limits_for(network: str) -> Limits:
    """What the network accepts in one post, from its connector class."""
    return connector_class(network).limits


def network_name(network: str) -> str:
    if network == "sandbox":  # ours, so it has a Russian name; the networks keep their own
        return _("Sandbox")
    return NETWORK_NAMES.get(network, network)


def _n(value: int) -> str:
    """1250 → "1,250" in English, "1 250" in Russian."""
    return str(formats.number_format(value, force_grouping=True))


def _mb(size: int) -> str:
    return formats.number_format(round(size / MB, 1), decimal_pos=1)


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # photo | video
    size: int
    name: str = ""
    mime: str = ""


@dataclass
class Draft:
    """What a post will be, in plain values (from a form, a file row or a saved post)."""

    text: str = ""
    variant_texts: dict[str, str] = field(default_factory=dict)
    hashtags: str = ""
    is_ad: bool = False
    advertiser: str = ""
    erid: str = ""
    media: list[MediaInfo] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)  # distinct, in the channels' order
    publish_at: datetime | None = None

    @classmethod
    def from_post(cls, post: object) -> Draft:
        from kosmmos.content.models import Post

        assert isinstance(post, Post)
        networks: list[str] = []
        for target in post.targets.select_related("channel").order_by("channel__network"):
            if target.channel.network not in networks:
                networks.append(target.channel.network)
        return cls(
            text=post.text, variant_texts={v.network: v.text for v in post.variants.all()},
            hashtags=post.hashtags, is_ad=post.is_ad, advertiser=post.advertiser, erid=post.erid,
            media=[MediaInfo(pm.media.kind, pm.media.size, pm.media.name, pm.media.mime)
                   for pm in post.post_media.select_related("media")],
            networks=networks, publish_at=post.publish_at,
        )

    def text_for(self, network: str) -> str:
        return labels.text_for(self, network)


@dataclass(frozen=True)
class Problem:
    message: str
    network: str = ""  # "" when it concerns every network
    blocking: bool = True  # a warning does not stop scheduling


def ad_problems(post: Draft | object) -> list[str]:
    """The one ad-labeling rule (38-FZ art. 18.1): an ad names its advertiser and carries the
    erid an ORD issued. Scheduling (``check_content``) and the publishing engine (just before it
    sends) both ask it; ``post`` is a ``Draft`` or a ``Post``."""
    if not getattr(post, "is_ad", False):
        return []
    problems = []
    if not str(getattr(post, "advertiser", "")).strip():
        problems.append(_("An advertising post must name the advertiser."))
    if not str(getattr(post, "erid", "")).strip():
        problems.append(_(
            "An advertising post needs the erid token from the ORD; without it the post "
            "cannot be scheduled."))
    return problems


def check_content(draft: Draft) -> list[Problem]:
    """Everything that would make a network reject the post, plus the ad-labeling rules."""
    problems: list[Problem] = []
    if not draft.text.strip() and not draft.media and not any(
        v.strip() for v in draft.variant_texts.values()
    ):
        problems.append(Problem(_("The post has neither text nor media.")))
    problems += [Problem(message) for message in ad_problems(draft)]
    for network in draft.networks:
        problems += _check_network(draft, network)
    return problems


def _check_network(draft: Draft, network: str) -> list[Problem]:
    limits = limits_for(network)
    name = network_name(network)
    text = draft.text_for(network)
    out: list[Problem] = []
    count = len(text)
    if draft.media and limits.caption_max is not None and count > limits.caption_max:
        out.append(Problem(_(
            "The %(network)s caption is %(count)s characters; the limit with media is %(limit)s."
        ) % {"network": name, "count": _n(count), "limit": _n(limits.caption_max)}, network))
    elif count > limits.text_max:
        out.append(Problem(_("The %(network)s text is %(count)s characters; the limit is %(limit)s.")
                           % {"network": name, "count": _n(count), "limit": _n(limits.text_max)},
                           network))
    if len(draft.media) > limits.media_max:
        out.append(Problem(_("%(network)s accepts at most %(limit)s media; you attached %(count)s.")
                           % {"network": name, "limit": limits.media_max, "count": len(draft.media)},
                           network))
    for item in draft.media:
        cap = limits.photo_max_bytes if item.kind == "photo" else limits.video_max_bytes
        if cap == 0:
            out.append(Problem(_("%(network)s does not take videos from Kosmmos; remove «%(name)s» or "
                                 "publish it there by hand.") % {"network": name, "name": item.name}, network))
        elif item.size > cap:
            kind = _("photo") if item.kind == "photo" else _("video")
            out.append(Problem(_(
                "%(network)s accepts a %(kind)s of at most %(limit)s MB; «%(name)s» is %(size)s MB."
            ) % {"network": name, "kind": kind, "limit": _mb(cap), "name": item.name,
                 "size": _mb(item.size)}, network))
    if limits.links_max is not None:
        links = len(_URL.findall(labels.body_for(draft, network)))
        if links > limits.links_max:
            out.append(Problem(_(
                "%(network)s shows a preview card for one link only; the text has %(count)s links."
            ) % {"network": name, "count": links}, network, blocking=False))
    return out


def check_schedulable(draft: Draft, *, now: datetime | None = None) -> list[Problem]:
    """``check_content`` plus what scheduling needs: channels and a time in the future."""
    problems = check_content(draft)
    if not draft.networks:
        problems.insert(0, Problem(_("Choose at least one channel to publish to.")))
    if draft.publish_at is None:
        problems.insert(0, Problem(_("Set the publication date and time.")))
    elif draft.publish_at <= (now or timezone.now()):
        problems.insert(0, Problem(_("The publication time has passed; choose a time in the future.")))
    return problems


def blocking(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.blocking]
