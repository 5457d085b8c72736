"""The organisation's benchmark table: the packaged default with the agency's own rows on top.

Stored as ``ProposalSettings.benchmark_rows`` = ``{"<network>/<activity>": {field: value}}`` with
values as strings (Decimals survive JSON exactly that way) and ``None`` clearing an optional one.
Only rows the agency changed are stored, so a new packaged default still reaches the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kosmmos.accounts.models import Organisation
from kosmmos.proposals.models import ProposalSettings
from kosmmos.proposals.planning import BenchmarkRow, Benchmarks, load_default_benchmarks
from kosmmos.proposals.planning.model import to_decimal

# The numbers a manager edits in the settings table, in column order.
NUMBER_FIELDS = (
    "cpm", "ctr", "cpc", "cost_per_subscriber", "click_to_lead", "min_monthly", "retention",
    "spread",
)
# These may be empty: the activity brings no impressions, clicks or subscribers of its own.
OPTIONAL_FIELDS = frozenset({"cpm", "ctr", "cpc", "cost_per_subscriber"})
TEXT_FIELDS = ("source", "date")
CUSTOM_SUFFIX = "+custom"


def row_key(row: BenchmarkRow) -> str:
    return f"{row.network}/{row.activity}"


def settings_for(organisation: Organisation) -> ProposalSettings:
    found, _created = ProposalSettings.objects.get_or_create(organisation=organisation)
    return found


def apply_rows(table: Benchmarks, stored: Mapping[str, Mapping[str, Any]]) -> Benchmarks:
    """``table`` with the stored rows patched in; raises PlanError('bad_benchmarks') when a
    value is out of range (the table checks itself)."""
    if not stored:
        return table
    rows = tuple(_patched(row, stored.get(row_key(row))) for row in table.rows)
    patched = dataclasses.replace(table, rows=rows, version=table.version + CUSTOM_SUFFIX)
    patched.check()
    return patched


def _patched(row: BenchmarkRow, values: Mapping[str, Any] | None) -> BenchmarkRow:
    if not values:
        return row
    changes: dict[str, Any] = {}
    for name in NUMBER_FIELDS:
        if name in values:
            raw = values[name]
            changes[name] = None if raw is None and name in OPTIONAL_FIELDS else to_decimal(raw)
    for name in TEXT_FIELDS:
        if name in values:
            changes[name] = str(values[name])
    return dataclasses.replace(row, **changes)


def benchmarks_for(organisation: Organisation) -> Benchmarks:
    """The table every plan of this organisation uses."""
    stored = ProposalSettings.objects.filter(organisation=organisation).values_list(
        "benchmark_rows", flat=True
    ).first()
    return apply_rows(load_default_benchmarks(), stored or {})


def diff_from_default(table: Benchmarks) -> dict[str, dict[str, str | None]]:
    """Rows of ``table`` that differ from the packaged default, in the stored form."""
    default = load_default_benchmarks()
    stored: dict[str, dict[str, str | None]] = {}
    for row in table.rows:
        base = default.row(row.network, row.activity)
        if base is None:
            continue
        changed: dict[str, str | None] = {}
        for name in (*NUMBER_FIELDS, *TEXT_FIELDS):
            value, original = getattr(row, name), getattr(base, name)
            if value != original:
                changed[name] = None if value is None else str(value)
        if changed:
            stored[row_key(row)] = changed
    return stored


def save_rows(organisation: Organisation, table: Benchmarks) -> None:
    """Keep what differs from the default; an unchanged table stores nothing."""
    prefs = settings_for(organisation)
    prefs.benchmark_rows = diff_from_default(table)
    prefs.benchmarks_updated_at = timezone.now()
    prefs.save(update_fields=["benchmark_rows", "benchmarks_updated_at"])


def reset_rows(organisation: Organisation) -> None:
    prefs = settings_for(organisation)
    prefs.benchmark_rows = {}
    prefs.benchmarks_updated_at = timezone.now()
    prefs.save(update_fields=["benchmark_rows", "benchmarks_updated_at"])


def number_text(value: Decimal | None) -> str:
    """A table value as a manager types it: no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text
