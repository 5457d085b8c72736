"""Rows → JSON objects. Public ids only (UUIDs, link codes); never channel credentials.

The shapes are declared in ``schemas.py``; a test checks real answers against them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kosmmos.accounts.models import Workspace
from kosmmos.channels.models import Channel
from kosmmos.content.models import Post, PostTarget
from kosmmos.inbox.models import Item
from kosmmos.links.stats import Figures, LinkRow


def _money(value: Decimal | None) -> str | None:
    """Money as a decimal string: JSON numbers would lose kopecks in some clients."""
    return None if value is None else f"{value:.2f}"


def workspace(ws: Workspace) -> dict[str, Any]:
    return {"id": ws.pk, "name": ws.name, "description": ws.description, "website": ws.website,
            "created_at": ws.created_at}


def channel(ch: Channel) -> dict[str, Any]:
    return {
        "id": ch.pk, "network": ch.network, "name": ch.name, "external_id": ch.external_id,
        "status": ch.status, "last_error": ch.last_error, "last_checked_at": ch.last_checked_at,
        "token_expires_at": ch.token_expires_at, "followers": ch.followers,
    }


def target(t: PostTarget) -> dict[str, Any]:
    return {
        "id": t.pk, "channel": {"id": t.channel.pk, "network": t.channel.network,
                                "name": t.channel.name},
        "status": t.status, "publish_at": t.publish_at, "attempts": t.attempts,
        "last_error": t.last_error, "external_id": t.external_id, "url": t.url,
        "published_at": t.published_at,
    }


def post(p: Post, *, targets: list[PostTarget] | None = None) -> dict[str, Any]:
    if targets is None:
        targets = list(p.targets.select_related("channel").order_by("channel__network", "channel__name"))
    return {
        "id": p.pk, "workspace_id": p.workspace_id, "title": p.title, "text": p.text,
        "variants": {v.network: v.text for v in p.variants.all()},
        "hashtags": p.hashtags, "status": p.status, "publish_at": p.publish_at,
        "is_ad": p.is_ad, "advertiser": p.advertiser, "erid": p.erid,
        "media": [pm.media_id for pm in p.post_media.all()],
        "changes_requested": p.changes_requested,
        "targets": [target(t) for t in targets],
        "created_at": p.created_at, "updated_at": p.updated_at,
    }


def inbox_item(item: Item) -> dict[str, Any]:
    return {
        "id": item.pk, "channel_id": item.channel_id, "network": item.network, "kind": item.kind,
        "post_id": item.post_id, "author_name": item.author_name, "text": item.text,
        "sentiment": item.sentiment or None, "sentiment_manual": item.sentiment_manual,
        "maybe_complaint": item.maybe_complaint, "status": item.status, "needs_response": item.needs_response,
        "received_at": item.received_at, "first_response_at": item.first_response_at,
        "closed_at": item.closed_at,
    }


def link(row: LinkRow) -> dict[str, Any]:
    lk = row.link
    return {
        "id": lk.pk, "code": lk.code, "short_url": lk.short_url, "title": lk.title,
        "target_url": lk.target_url, "network": lk.network, "medium": lk.medium,
        "campaign": lk.campaign.name if lk.campaign_id else None, "post_ref": lk.post_ref,
        "tags": lk.tag_list(), "is_active": lk.is_active, "created_at": lk.created_at,
        "clicks": row.clicks, "bot_clicks": row.bot_clicks, "conversions": row.conversions,
        "revenue": _money(row.revenue),
    }


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def pnl(figures: Figures) -> dict[str, Any]:
    return {
        "currency": "RUB",
        "revenue": _money(figures.revenue), "costs": _money(figures.costs),
        "profit": _money(figures.profit), "ad_spend": _money(figures.ad_spend),
        "clicks": figures.clicks, "bot_clicks": figures.bot_clicks,
        "conversions": figures.conversions, "purchases": figures.purchases,
        "conversion_rate": _ratio(figures.conversion_rate), "cpc": _money(figures.cpc),
        "cpa": _money(figures.cpa), "average_check": _money(figures.average_check),
        "roi": _ratio(figures.roi), "romi": _ratio(figures.romi),
        "profit_per_check": _ratio(figures.profit_per_check),
        "months": [{
            "month": f"{m.month:%Y-%m}", "revenue": _money(m.revenue), "costs": _money(m.costs),
            "profit": _money(m.profit), "clicks": m.clicks, "conversions": m.conversions,
            "purchases": m.purchases,
        } for m in figures.months],
    }
