"""Text helpers shared by the connectors, and the ad label (the editor's preview uses it too)."""

from __future__ import annotations

from typing import Protocol

from kosmmos.connectors.base import PublishRequest

AD_WORD = "Реклама"


class Labelled(Protocol):
    @property
    def is_ad(self) -> bool: ...
    @property
    def advertiser(self) -> str: ...
    @property
    def erid(self) -> str: ...


def ad_label(post: Labelled) -> str:
    """``Реклама. ООО «Ромашка». erid: 2VtzqvXYZ`` for an ad post, ``""`` otherwise.

    The label Russian law asks for (38-FZ art. 18.1): the word «Реклама», the advertiser and
    the ORD's ``erid`` token. It is Russian whatever the interface language: it is a legal
    marking. ``post`` is a post, a draft or a ``PublishRequest``.
    """
    if not post.is_ad:
        return ""
    parts = [AD_WORD]
    if post.advertiser.strip():
        parts.append(post.advertiser.strip())
    if post.erid.strip():
        parts.append(f"erid: {post.erid.strip()}")
    return ". ".join(parts)


def compose_text(request: PublishRequest) -> str:
    """The text as it goes to the network.

    An ad post carries its ``ad_label``. When the text already has the erid (the publishing
    engine sends the post's text with its label) we leave it alone, so the label is never
    doubled.
    """
    text = request.text
    erid = request.erid.strip()
    if request.is_ad and erid and erid not in text:
        label = ad_label(request)
        text = f"{text}\n\n{label}" if text else label
    return text
