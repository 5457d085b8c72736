"""The proposal editor's form: flat field names in, ``Edits`` out, every typed value kept.

A Django Form with a field per network × activity × benchmark would be ~300 fields built at
runtime; a flat naming scheme parsed here is simpler to read and to re-render:

    budget, period, start_month (YYYY-MM), language
    net.<network>                  checkbox: the network is funded
    share.<network>                weight of the network (blank: automatic)
    act.<network>.<activity>       checkbox: the activity runs there
    ashare.<network>.<activity>    weight of the activity within the network (blank: automatic)
    obj.<network>.<activity>     % of the activity's money bought as subscribers, the rest as
                                 clicks (blank: by the brief's goals)
    bm.<network>.<activity>.<field>  benchmark override (blank: the table's value)
    niche                        the client's niche (prices, costs per subscriber, lead to sale)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kosmmos.briefs.choices import FLAGGED_NETWORKS, Network, Niche
from kosmmos.proposals.actions import Edits
from kosmmos.proposals.benchmarks import number_text
from kosmmos.proposals.models import Language
from kosmmos.proposals.planning import Activity, Benchmarks, BriefInput, Overrides
from kosmmos.proposals.planning.validation import MAX_PERIOD_MONTHS

BENCHMARK_FIELDS = ("cpm", "ctr", "cpc", "cost_per_subscriber", "click_to_lead", "retention")
# The editor's column headers: the field, a label a manager reads, and a hint on hover (the same
# words as the benchmark table in Settings).
BENCHMARK_COLUMNS = (
    ("cpm", "CPM, ₽", gettext_lazy("RUB per 1000 impressions")),
    ("ctr", "CTR", gettext_lazy("clicks per impression: 0.01 is one in a hundred")),
    ("cpc", "CPC, ₽", gettext_lazy("RUB per click")),
    ("cost_per_subscriber", gettext_lazy("Per subscriber, ₽"),
     gettext_lazy("RUB per subscriber bought")),
    ("click_to_lead", gettext_lazy("Click to lead"),
     gettext_lazy("share of clicks that become leads, 0.02 = 2%")),
    ("retention", pgettext_lazy("subscribers", "Retention"),
     gettext_lazy("share of the subscribers bought still there a month later")),
)
assert tuple(c[0] for c in BENCHMARK_COLUMNS) == BENCHMARK_FIELDS
HUNDRED = Decimal(100)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class EditorForm:
    """Raw values by field name (what the manager typed), errors by field name, and errors that
    belong to no single field (the planner's)."""

    data: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def checked(self, name: str) -> bool:
        return self.data.get(name, "") not in ("", "0")


def initial(edits: Edits, funded: tuple[str, ...], running: Mapping[str, tuple[str, ...]]) -> \
        EditorForm:
    """The form as the latest version left it: ``funded`` networks and the activities
    ``running`` on each, the manager's shares and benchmark overrides."""
    inputs, overrides = edits.inputs, edits.overrides
    data: dict[str, str] = {
        "budget": number_text(inputs.budget_per_month),
        "period": str(inputs.period_months),
        "start_month": inputs.start_month.strftime("%Y-%m") if inputs.start_month else "",
        "language": edits.language,
        "niche": inputs.niche,
    }
    for net in funded:
        data[f"net.{net}"] = "1"
        for act in running.get(net, ()):
            data[f"act.{net}.{act}"] = "1"
    for net, value in (overrides.network_shares or {}).items():
        data[f"share.{net}"] = number_text(value)
    for net, acts in (overrides.activity_shares or {}).items():
        for act, value in acts.items():
            data[f"ashare.{net}.{act}"] = number_text(value)
    for net, benchmarks in (overrides.benchmarks or {}).items():
        for act, figures in benchmarks.items():
            for name, figure in figures.items():
                data[f"bm.{net}.{act}.{name}"] = number_text(figure)
    for net, split in (overrides.objectives or {}).items():
        for act, share in split.items():
            data[f"obj.{net}.{act}"] = number_text(share * HUNDRED)
    return EditorForm(data)


def _number(form: EditorForm, name: str, *, minimum: Decimal = Decimal(0),
            positive: bool = False) -> Decimal | None:
    raw = form.data.get(name, "").strip().replace(",", ".").replace(" ", "").replace("\u00a0", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        form.errors[name] = _("Enter a number.")
        return None
    if not value.is_finite() or value < minimum or (positive and value <= 0):
        form.errors[name] = _("Enter a positive number.") if positive else \
            _("Enter zero or more.")
        return None
    return value


def parse(form: EditorForm, brief: BriefInput, table: Benchmarks) -> Edits | None:
    """The edits the form describes, or None with ``form.errors`` filled."""
    budget = _number(form, "budget", positive=True)
    if budget is None and "budget" not in form.errors:
        form.errors["budget"] = _("Enter the monthly budget.")
    period = _period(form)
    start = _start_month(form)
    language = form.data.get("language", "")
    if language not in Language.values:
        form.errors["language"] = _("Choose a language.")
    niche = form.data.get("niche", "") or "other"
    if niche not in Niche.values:
        form.errors["niche"] = _("Choose a niche.")
    networks = tuple(n for n in networks_in(table) if form.checked(f"net.{n}"))
    overrides = Overrides(
        networks=networks,
        activities=_activities(form, networks, table) or None,
        network_shares=_shares(form, [f"share.{n}" for n in networks], networks) or None,
        activity_shares=_activity_shares(form, networks, table) or None,
        benchmarks=_benchmarks(form, table) or None,
        objectives=_objectives(form, table) or None,
    )
    if form.errors or budget is None or period is None:
        return None
    inputs = BriefInput(
        networks=brief.networks, goals=brief.goals, product_type=brief.product_type,
        budget_per_month=budget, period_months=period, geography=brief.geography,
        kpis=brief.kpis, start_month=start, niche=niche,
    )
    return Edits(inputs=inputs, overrides=overrides, language=language)


def _period(form: EditorForm) -> int | None:
    raw = form.data.get("period", "").strip()
    if raw.isdigit() and 1 <= int(raw) <= MAX_PERIOD_MONTHS:
        return int(raw)
    form.errors["period"] = _("Enter a whole number of months from 1 to %(maximum)s.") % {
        "maximum": MAX_PERIOD_MONTHS}
    return None


def _start_month(form: EditorForm) -> date | None:
    raw = form.data.get("start_month", "").strip()
    match = _MONTH.match(raw)
    if match and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    form.errors["start_month"] = _("Choose the first month of the campaign.")
    return None


def _activities(form: EditorForm, networks: tuple[str, ...], table: Benchmarks) -> \
        dict[str, tuple[str, ...]]:
    chosen: dict[str, tuple[str, ...]] = {}
    for net in networks:
        acts = tuple(a for a in table.activities_for(net) if form.checked(f"act.{net}.{a}"))
        if acts:  # none ticked: the planner picks the activities for the goals
            chosen[net] = acts
    return chosen


def _shares(form: EditorForm, names: list[str], keys: tuple[str, ...]) -> dict[str, Decimal]:
    """Weights keyed by ``keys``: all blank means automatic; some blank is an error, since a
    forgotten field must not silently get nothing."""
    values = {key: _number(form, name) for key, name in zip(keys, names, strict=True)}
    if all(v is None for v in values.values()):
        return {}
    for key, name in zip(keys, names, strict=True):
        if values[key] is None and name not in form.errors:
            form.errors[name] = _("Fill in every share here, or none for an automatic split.")
    return {key: value for key, value in values.items() if value is not None}


def _activity_shares(form: EditorForm, networks: tuple[str, ...], table: Benchmarks) -> \
        dict[str, dict[str, Decimal]]:
    shares: dict[str, dict[str, Decimal]] = {}
    for net in networks:
        running = [a for a in table.activities_for(net) if form.checked(f"act.{net}.{a}")]
        if not running:
            running = [a for a in table.activities_for(net)
                       if form.data.get(f"ashare.{net}.{a}", "").strip()]
        found = _shares(form, [f"ashare.{net}.{a}" for a in running], tuple(running))
        if found:
            shares[net] = found
    return shares


def _benchmarks(form: EditorForm, table: Benchmarks) -> dict[str, dict[str, dict[str, Decimal]]]:
    rows: dict[str, dict[str, dict[str, Decimal]]] = {}
    for row in table.rows:
        for name in BENCHMARK_FIELDS:
            key = f"bm.{row.network}.{row.activity}.{name}"
            value = _number(form, key)
            if value is not None:
                rows.setdefault(row.network, {}).setdefault(row.activity, {})[name] = value
    return rows


def _objectives(form: EditorForm, table: Benchmarks) -> dict[str, dict[str, Decimal]]:
    """Percent of each activity's money bought as subscribers, as a fraction."""
    split: dict[str, dict[str, Decimal]] = {}
    for row in table.rows:
        key = f"obj.{row.network}.{row.activity}"
        value = _number(form, key)
        if value is None:
            continue
        if value > HUNDRED:
            form.errors[key] = _("Enter a percentage from 0 to 100.")
            continue
        split.setdefault(row.network, {})[row.activity] = value / HUNDRED
    return split


def networks_in(table: Benchmarks) -> list[str]:
    """Networks the table can plan, in the form's (Russian-first) order."""
    return [n for n in Network.values if n in table.networks]


def rows(form: EditorForm, table: Benchmarks, requested: tuple[str, ...]) -> list[dict[str, Any]]:
    """The network blocks of the editor, each with its activity rows and benchmark inputs."""
    blocks = []
    for net in networks_in(table):
        activities = []
        for act in table.activities_for(net):
            row = table.row(net, act)
            assert row is not None
            activities.append({
                "code": act, "label": Activity(act).label,
                "checked": form.checked(f"act.{net}.{act}"),
                "share": _input(form, f"ashare.{net}.{act}"),
                "objective": _input(form, f"obj.{net}.{act}"),
                "benchmarks": [
                    _input(form, f"bm.{net}.{act}.{name}",
                           placeholder=number_text(getattr(row, name)), label=name)
                    for name in BENCHMARK_FIELDS
                ],
            })
        blocks.append({
            "code": net, "label": Network(net).label, "checked": form.checked(f"net.{net}"),
            "requested": net in requested, "flagged": net in FLAGGED_NETWORKS,
            "share": _input(form, f"share.{net}"), "activities": activities,
            "has_errors": any(k.split(".")[1:2] == [net] for k in form.errors),
        })
    return blocks


def _input(form: EditorForm, name: str, **extra: str) -> dict[str, str]:
    return {"name": name, "value": form.data.get(name, ""), "error": form.errors.get(name, ""),
            "id": "f-" + name.replace(".", "-"), **extra}
