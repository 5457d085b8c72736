"""Case-insensitive text search that also works for Cyrillic on SQLite.

SQLite's ``LIKE`` (what Django's ``icontains`` becomes there) and its ``lower()`` fold ASCII
only, so "класс" never found "Класс!" (nor "иван" the lead «Иван») in the embedded set-up. On
SQLite we register a ``kosmmos_casefold`` function on every connection (``lib/apps.py``) and
compare case-folded text; PostgreSQL's ``UPPER`` is Unicode-aware, so ``icontains`` stays as it
is there.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField

CASEFOLD = "kosmmos_casefold"


def _casefold(value: Any) -> str | None:
    return None if value is None else str(value).casefold()


def register_casefold(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: teach each new SQLite connection ``kosmmos_casefold``."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(CASEFOLD, 1, _casefold, deterministic=True)


def containing(items: QuerySet[Any], query: str, fields: tuple[str, ...]) -> QuerySet[Any]:
    """The rows whose ``fields`` contain ``query``, ignoring case in any alphabet."""
    if connection.vendor != "sqlite":
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__icontains": query})
        return items.filter(match)
    folded = query.casefold()
    annotations = {f"_folded_{name}": Func(F(name), function=CASEFOLD, output_field=TextField())
                   for name in fields}
    match = Q()
    for alias in annotations:
        match |= Q(**{f"{alias}__contains": folded})
    return items.annotate(**annotations).filter(match)
