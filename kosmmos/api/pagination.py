"""Cursor pagination on ninja's paginator: pages stay stable while rows are added, unlike page
numbers.

Rows are ordered by (``field``, ``id``) ascending; the cursor is the last row's pair, encoded as
opaque base64 so clients do not build it themselves. A list answers
``{"results": [...], "next_cursor": "..." | null}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import PaginationBase
from pydantic import BeforeValidator, WithJsonSchema

from kosmmos.api.schemas import storable
from kosmmos.api.text import gettext_lazy
from kosmmos.lib.untrusted import BadInput, parse_json

# A cursor we encode is under 100 characters; a longer one is not ours.
CURSOR_MAX = 200
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode(value: datetime, pk: Any) -> str:
    raw = json.dumps([value.isoformat(), str(pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: Any) -> tuple[datetime, uuid.UUID] | None:
    if cursor in ("", None):
        return None
    if len(str(cursor)) > CURSOR_MAX:
        raise ValueError(_("The cursor is not valid."))
    try:
        raw = base64.urlsafe_b64decode(str(cursor) + "=" * (-len(str(cursor)) % 4))
        value, pk = parse_json(raw)
        moment, found = datetime.fromisoformat(value), uuid.UUID(pk)
    except (ValueError, TypeError, AttributeError, binascii.Error, BadInput) as exc:
        # AttributeError: uuid.UUID() given a number or a list instead of a string.
        raise ValueError(_("The cursor is not valid.")) from exc
    if not storable(moment):
        raise ValueError(_("The cursor is not valid."))
    return moment, found


def read_limit(raw: Any) -> int:
    if raw in ("", None):
        return DEFAULT_LIMIT
    # isascii: "²" is a digit to str.isdigit() but not to int().
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise ValueError(_("The limit must be a whole number from 1 to 200."))
    return int(text)


class CursorPagination(PaginationBase):
    class Input(Schema):
        cursor: Annotated[tuple[datetime, uuid.UUID] | None, BeforeValidator(decode_cursor),
                          WithJsonSchema({"type": "string", "pattern": r"^[A-Za-z0-9_-]*$"})] = Field(
            default=None, description=gettext_lazy("The next_cursor of the previous page."))
        limit: Annotated[int, BeforeValidator(read_limit), WithJsonSchema(
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})] = Field(
            default=DEFAULT_LIMIT, description=gettext_lazy("Rows per page, 1–200 (50 by default)."))

    class Output(Schema):
        results: list[Any]
        next_cursor: str | None

    items_attribute = "results"

    def __init__(self, *, field: str, prepare: Callable[..., list[Any]] | None = None,
                 **kwargs: Any) -> None:
        """``field`` orders the rows (with the id breaking ties); ``prepare`` turns one page of
        rows into what the answer lists, with the view's arguments (the figures for a page of
        links, say)."""
        super().__init__(**kwargs)
        self.field, self.prepare = field, prepare

    def paginate_queryset(self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest,
                          **params: Any) -> dict[str, Any]:
        rows = queryset.order_by(self.field, "id")
        if pagination.cursor is not None:
            value, pk = pagination.cursor
            rows = rows.filter(Q(**{f"{self.field}__gt": value}) | Q(**{self.field: value, "id__gt": pk}))
        page = list(rows[: pagination.limit + 1])
        more = len(page) > pagination.limit
        page = page[: pagination.limit]
        cursor = encode(getattr(page[-1], self.field), page[-1].pk) if more else None
        return {"results": self.prepare(page, request=request, **params) if self.prepare else page,
                "next_cursor": cursor}
