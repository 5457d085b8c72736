"""JSON schemas of the API's objects (OpenAPI 3.1 speaks JSON Schema 2020-12)."""

from __future__ import annotations

from typing import Any

from kosmmos.channels.models import ChannelStatus, Network
from kosmmos.content.models import PostStatus, TargetStatus
from kosmmos.inbox.models import ItemStatus, Kind, Sentiment


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(name: str) -> dict[str, Any]:
    return {"type": "object", "required": ["results", "next_cursor"], "properties": {
        "results": {"type": "array", "items": ref(name)},
        "next_cursor": {"type": ["string", "null"]},
    }}


UUID = {"type": "string", "format": "uuid"}
TIME = {"type": ["string", "null"], "format": "date-time"}
TEXT = {"type": "string"}
MONEY = {"type": ["string", "null"], "pattern": r"^-?\d+\.\d{2}$"}
COUNT = {"type": "integer"}
RATIO = {"type": ["number", "null"]}


def _obj(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": _obj(error=_obj(
        code=TEXT, message=TEXT,
        fields={"type": "object", "additionalProperties": {"type": "array", "items": TEXT}})),
    "Workspace": _obj(id=UUID, name=TEXT, description=TEXT, website=TEXT, created_at=TIME),
    "Channel": _obj(
        id=UUID, network={"enum": Network.values}, name=TEXT, external_id=TEXT,
        status={"enum": ChannelStatus.values}, last_error=TEXT, last_checked_at=TIME,
        token_expires_at=TIME, followers={"type": ["integer", "null"]}),
    "PostTarget": _obj(
        id=UUID, channel=_obj(id=UUID, network=TEXT, name=TEXT),
        status={"enum": TargetStatus.values}, publish_at=TIME, attempts=COUNT, last_error=TEXT,
        external_id=TEXT, url=TEXT, published_at=TIME),
    "Post": _obj(
        id=UUID, workspace_id=UUID, title=TEXT, text=TEXT,
        variants={"type": "object", "additionalProperties": TEXT}, hashtags=TEXT,
        status={"enum": PostStatus.values}, publish_at=TIME, is_ad={"type": "boolean"},
        advertiser=TEXT, erid=TEXT, media={"type": "array", "items": UUID},
        changes_requested={"type": "boolean"},
        targets={"type": "array", "items": ref("PostTarget")}, created_at=TIME, updated_at=TIME),
    "InboxItem": _obj(
        id=UUID, channel_id=UUID, network=TEXT, kind={"enum": Kind.values},
        post_id={"type": ["string", "null"], "format": "uuid"}, author_name=TEXT, text=TEXT,
        sentiment={"enum": [*Sentiment.values, None]}, sentiment_manual={"type": "boolean"},
        maybe_complaint={"type": "boolean"},
        status={"enum": ItemStatus.values}, needs_response={"type": "boolean"},
        received_at=TIME, first_response_at=TIME, closed_at=TIME),
    "Link": _obj(
        id=UUID, code=TEXT, short_url=TEXT, title=TEXT, target_url=TEXT, network=TEXT, medium=TEXT,
        campaign={"type": ["string", "null"]}, post_ref=TEXT,
        tags={"type": "array", "items": TEXT}, is_active={"type": "boolean"}, created_at=TIME,
        clicks=COUNT, bot_clicks=COUNT, conversions=COUNT, revenue=MONEY),
    "Pnl": _obj(
        currency=TEXT, revenue=MONEY, costs=MONEY, profit=MONEY, ad_spend=MONEY, clicks=COUNT,
        bot_clicks=COUNT, conversions=COUNT, purchases=COUNT, conversion_rate=RATIO, cpc=MONEY,
        cpa=MONEY, average_check=MONEY, roi=RATIO, romi=RATIO, profit_per_check=RATIO,
        months={"type": "array", "items": _obj(
            month={"type": "string", "pattern": r"^\d{4}-\d{2}$"}, revenue=MONEY, costs=MONEY,
            profit=MONEY, clicks=COUNT, conversions=COUNT, purchases=COUNT)}),
    "PostCreated": {"allOf": [ref("Post"), _obj(warnings={"type": "array", "items": TEXT})]},
}

POST_INPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "text": TEXT,
        "variants": {"type": "object", "additionalProperties": TEXT,
                     "description": "network code → text for that network (vk, ok, telegram, sandbox)"},
        "hashtags": {"type": "string", "maxLength": 500},
        "rubric": UUID,
        "channels": {"type": "array", "items": UUID},
        "media": {"type": "array", "items": UUID, "description": "media library ids, in order"},
        "publish_at": {"type": ["string", "null"], "format": "date-time"},
        "is_ad": {"type": "boolean"},
        "advertiser": {"type": "string", "maxLength": 300},
        "erid": {"type": "string", "maxLength": 100},
    },
    "additionalProperties": False,
}
