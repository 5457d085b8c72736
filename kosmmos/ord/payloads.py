"""What each object looks like to the ORD (VK ORD field names: connectors/vkord/client.py says
which source each follows), and a stable hash of it so an unchanged object is not sent again."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from kosmmos.content.models import Post
from kosmmos.ord.models import Contract, Creative, Invoice, Link, Pad, Party, Statistic

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def person(party: Party) -> dict[str, Any]:
    details: dict[str, Any] = {"type": party.legal_form}
    if party.inn:
        details["inn"] = party.inn
    if party.phone:
        details["phone"] = party.phone
    return {"name": party.name, "roles": list(party.roles), "juridical_details": details}


def contract(item: Contract) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": item.type, "subject_type": item.subject_type, "serial": item.number,
        "client_external_id": item.client.external_id,
        "contractor_external_id": item.contractor.external_id,
        "date": item.date.isoformat(),
    }
    if item.amount is not None:
        data["amount"] = str(item.amount)
    if item.parent_id:
        data["parent_contract_external_id"] = item.parent.external_id  # type: ignore[union-attr]  # parent_id is set
    return data


def pad(item: Pad) -> dict[str, Any]:
    return {"person_external_id": item.owner.external_id, "is_owner": True, "type": "web",
            "name": item.name, "url": item.url}


def ad_texts(post: Post) -> list[str]:
    """The texts an ORD registers: the main text and each network variant, without the label
    (the label carries the erid, which does not exist yet)."""
    texts = [post.text]
    for variant in post.variants.order_by("network"):
        if variant.text.strip() and variant.text not in texts:
            texts.append(variant.text)
    return [t for t in texts if t.strip()]


def creative(item: Creative, post: Post, link: Link, media_ids: list[str]) -> dict[str, Any]:
    texts = ad_texts(post)
    urls = sorted({u.rstrip(".,;:!?)") for t in texts for u in _URL.findall(t)})
    data: dict[str, Any] = {
        "kktus": link.kktus(), "form": link.form, "pay_type": "other",
        "name": (post.title or post.label)[:250], "texts": texts,
        "contract_external_ids": [link.contract.external_id],
    }
    if urls:
        data["target_urls"] = urls
    if media_ids:
        data["media_external_ids"] = media_ids
    return data


def content_hash(post: Post, link: Link | None) -> str:
    """What makes a creative change: the texts, media, advertiser, KKTU, form, contract."""
    media = [str(m) for m in post.post_media.order_by("position").values_list("media_id", flat=True)]
    return digest({"texts": ad_texts(post), "media": media, "advertiser": post.advertiser,
                   "kktu": link.kktus() if link else [], "form": link.form if link else "",
                   "contract": str(link.contract_id) if link else ""})


def statistic(row: Statistic) -> dict[str, Any]:
    return {"external_id": row.external_id, "creative_external_id": row.creative.external_id,
            "pad_external_id": row.pad.external_id, "shows_count": int(row.shows or 0),
            "date_start_actual": row.date_start.isoformat(),
            "date_end_actual": row.date_end.isoformat()}


def invoice(item: Invoice, rows: list[Statistic]) -> dict[str, Any]:
    report = item.report
    end = max((r.date_end for r in rows), default=report.month)
    by_creative: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_creative.setdefault(row.creative.external_id, []).append(
            {"pad_external_id": row.pad.external_id, "shows_count": int(row.shows or 0)})
    return {
        "contract_external_id": item.contract.external_id, "serial": item.number,
        "date": item.date.isoformat(), "date_start": report.month.isoformat(),
        "date_end": end.isoformat(),
        "amount": {"services": {"including_vat": str(item.amount)}},
        "client_role": "advertiser", "contractor_role": "agency",
        "items": [{"contract_external_id": item.contract.external_id,
                   "creatives": [{"creative_external_id": cid, "platforms": pads}
                                 for cid, pads in sorted(by_creative.items())]}],
    }
