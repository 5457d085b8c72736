"""Conditional state changes: the only way a job takes ownership of a row.

A claim is ``UPDATE ... SET status=<to> WHERE id=<id> AND status=<from>``: the database lets exactly
one caller change the row, so two dispatchers, two workers or a redelivered message can never both
act on it. On PostgreSQL, batch claims use ``FOR UPDATE SKIP LOCKED`` so concurrent dispatchers do
not wait for each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import models, transaction


def claim_one(
    model: type[models.Model], pk: Any, from_status: str | Iterable[str], **updates: Any
) -> bool:
    """Move one row out of ``from_status``; True when this caller won it."""
    statuses = [from_status] if isinstance(from_status, str) else list(from_status)
    changed = model._default_manager.filter(pk=pk, status__in=statuses).update(**updates)
    return changed == 1


def claim_batch(
    queryset: models.QuerySet[Any], from_status: str, limit: int, **updates: Any
) -> list[Any]:
    """Claim up to ``limit`` rows of ``queryset`` in ``from_status``; returns their ids.

    Ids are picked first, then each is claimed conditionally, so a row another dispatcher took in
    between is simply not ours. On PostgreSQL the pick skips rows locked by a concurrent claim.
    """
    with transaction.atomic():
        pick = queryset.filter(status=from_status).order_by().values_list("pk", flat=True)
        if settings.IS_POSTGRES:
            pick = pick.select_for_update(skip_locked=True)
        ids = list(pick[:limit])
        if not ids:
            return []
        model = queryset.model
        if settings.IS_POSTGRES:
            # The rows are locked by us: one statement claims them all.
            model._default_manager.filter(pk__in=ids, status=from_status).update(**updates)
            return ids
        won = [pk for pk in ids if claim_one(model, pk, from_status, **updates)]
    return won


def claim_marked(
    queryset: models.QuerySet[Any], from_status: str, limit: int, *, order: Sequence[str],
    mark: tuple[str, str], **updates: Any,
) -> list[Any]:
    """Claim up to ``limit`` rows of ``queryset`` in ``from_status``, in ``order``, with one
    UPDATE that also stamps ``mark`` (a field and a value no other claim uses, such as a lease
    owner's token); returns the ids carrying the mark afterwards, in ``order``: exactly the rows
    won.

    For claims of many rows at once: one statement on any database (SQLite's IMMEDIATE
    transactions serialise writers; on PostgreSQL the pick skips rows a concurrent claim locked).
    """
    field, value = mark
    model = queryset.model
    with transaction.atomic():
        pick = queryset.filter(status=from_status).order_by(*order).values_list("pk", flat=True)
        if settings.IS_POSTGRES:
            pick = pick.select_for_update(skip_locked=True)
        ids = list(pick[:limit])
        if not ids:
            return []
        model._default_manager.filter(pk__in=ids, status=from_status).update(
            **{field: value}, **updates)
    won = set(model._default_manager.filter(pk__in=ids, **{field: value})
              .values_list("pk", flat=True))
    return [pk for pk in ids if pk in won]
