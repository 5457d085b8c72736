"""Cursor pagination: pages stay stable while rows are added, unlike page numbers.

Rows are ordered by (``field``, ``id``) ascending; the cursor is the last row's pair, encoded as
opaque base64 so clients do not build it themselves.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kosmmos.api.errors import invalid_parameter
from kosmmos.api.registry import Param

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

PARAMS = (
    Param("cursor", _("The next_cursor of the previous page."),
          {"type": "string", "pattern": r"^[A-Za-z0-9_-]*$"}),
    Param("limit", _("Rows per page, 1–200 (50 by default)."),
          {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
)


def _encode(value: datetime, pk: Any) -> str:
    raw = json.dumps([value.isoformat(), str(pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def storable(moment: datetime) -> bool:
    """An aware date-time whose UTC time is within years 1-9999: the database adapters convert
    to UTC first, and a time past either end raises OverflowError there (a 500)."""
    if moment.tzinfo is None:
        return False
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        moment, found = datetime.fromisoformat(value), uuid.UUID(pk)
    except (ValueError, TypeError, AttributeError, binascii.Error) as exc:
        # AttributeError: uuid.UUID() given a number or a list instead of a string.
        raise invalid_parameter("cursor", _("The cursor is not valid.")) from exc
    if not storable(moment):
        raise invalid_parameter("cursor", _("The cursor is not valid."))
    return moment, found


def _limit(query: Any) -> int:
    raw = query.get("limit", "")
    if raw == "":
        return DEFAULT_LIMIT
    # isascii: "²" is a digit to str.isdigit() but not to int().
    if not (str(raw).isascii() and str(raw).isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise invalid_parameter("limit", _("The limit must be a whole number from 1 to 200."))
    return int(raw)


def paginate(rows: QuerySet[Any], query: Any, *, field: str) -> tuple[list[Any], str | None]:
    """One page of ``rows`` after the ``cursor`` in the query, and the cursor of the next page."""
    limit = _limit(query)
    rows = rows.order_by(field, "id")
    cursor = query.get("cursor", "")
    if cursor:
        value, pk = _decode(cursor)
        rows = rows.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": pk}))
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, (_encode(getattr(page[-1], field), page[-1].pk) if more else None)
