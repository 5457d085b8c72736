"""What a post says on each network: the variant or main text, hashtags and the ad label.

The publishing engine and the editor's preview both use these, so what the client approves is
what is sent. The ad label is composed in one place, ``kosmmos/connectors/text.py:ad_label``.
"""

from __future__ import annotations

import re

from kosmmos.connectors.text import ad_label

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


def body_for(post: object, network: str) -> str:
    """The network's variant when it has one, else the main text (no hashtags, no label)."""
    variants = getattr(post, "variant_texts", None)
    if variants is None:
        variants = {v.network: v.text for v in post.variants.all()}  # type: ignore[attr-defined]
    variant = variants.get(network, "")
    return variant if variant.strip() else post.text  # type: ignore[attr-defined,no-any-return]


def text_for(post: object, network: str) -> str:
    """Exactly what is sent to ``network``: body, hashtags and the ad label."""
    return compose(body_for(post, network), post.hashtags, ad_label(post))  # type: ignore[attr-defined,arg-type]
