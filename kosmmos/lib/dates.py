"""Days typed into query strings (filters, calendar anchors): read them or ignore them.

A well-formed but impossible day ("2024-99-99") makes Django's ``parse_date`` raise, and a year
at either end of the calendar overflows the month arithmetic built on it; both were 500s. Here
anything unreadable is None, as if nothing had been typed.
"""

from __future__ import annotations

from datetime import date

from django.utils.dateparse import parse_date

# The years a typed day or month may name.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def query_date(value: str) -> date | None:
    """The day ``value`` names (YYYY-MM-DD), or None when it names none we can use."""
    try:
        day = parse_date(value or "")
    except ValueError:
        return None
    return day if day and FIRST_YEAR <= day.year <= LAST_YEAR else None
