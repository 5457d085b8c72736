"""What a post says on each network: the variant or main text, hashtags and the ad label.

The publishing engine and the editor's preview both use these, so what the client approves is
what is sent. The ad label is composed in one place, ``kosmmos/connectors/text.py:ad_label``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

from kosmmos.connectors.text import ad_label

if TYPE_CHECKING:
    from kosmmos.content.models import Post
    from kosmmos.content.validation import Draft

_TAG = re.compile(r"[^\s,;#]+")


def normalize_hashtags(raw: str) -> str:
    """``"осень, #skincare  sale"`` → ``"#осень #skincare #sale"``; duplicates dropped."""
    seen: list[str] = []
    for tag in _TAG.findall(raw or ""):
        tag = "#" + tag
        if tag.lower() not in (s.lower() for s in seen):
            seen.append(tag)
    return " ".join(seen)


def compose(body: str, hashtags: str, label: str) -> str:
    """Body, then the hashtags on their own line, then the ad label after a blank line."""
    text = body.rstrip()
    tags = normalize_hashtags(hashtags)
    if tags:
        text = f"{text}\n\n{tags}" if text else tags
    if label:
        text = f"{text}\n\n{label}" if text else label
    return text


def body_for(post: Post | Draft, network: str) -> str:
    """The network's variant when it has one, else the main text (no hashtags, no label)."""
    variants: dict[str, str] | None = getattr(post, "variant_texts", None)
    if variants is None:  # a post whose variants were not loaded beforehand (a draft has them)
        variants = {v.network: v.text for v in cast("Post", post).variants.all()}
    variant = variants.get(network, "")
    return variant if variant.strip() else post.text


def text_for(post: Post | Draft, network: str) -> str:
    """Exactly what is sent to ``network``: body, hashtags and the ad label."""
    return compose(body_for(post, network), post.hashtags, ad_label(post))
