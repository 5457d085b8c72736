"""Audience demographics as the networks give them, in one shape for storage and the results page.

* VK ``stats.get`` (user token, scope ``stats``; API 5.199 schema) answers a list of periods
  ``[{period_from, period_to, visitors: {views, visitors, sex[], age[], sex_age[], cities[],
  countries[]}, reach: {...same arrays}}]``; items ``{value: "f" | "27-30" | "f;27-30", count}``
  and cities ``{value, name, count}``. We read the ``visitors`` block (people who opened the
  community in the period) and fall back to ``reach``.
* OK ``group.getStatPeople`` (admin, GROUP_CONTENT) without ``demo_type`` gives the demographics
  of all the group's members on the day: ``{demography_female: [{name: "18-25", value,
  percentage}], demography_male: [...], cities: [{name, value, percentage}], countries}`` — the
  field names come from a third-party client (believed, not in the method's own page).
* Telegram gives none to bots (the MTProto channel stats are a user-only API).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

VISITORS = "visitors"  # people who visited in the period (VK)
MEMBERS = "members"  # all members on the day (OK)
TOP_CITIES = 10


@dataclass
class Demographics:
    period_from: date
    period_to: date
    basis: str  # VISITORS or MEMBERS
    sex: dict[str, int] = field(default_factory=dict)  # "f" | "m" → people
    age: dict[str, int] = field(default_factory=dict)  # "18-21" → people
    sex_age: dict[str, int] = field(default_factory=dict)  # "f;18-21" → people
    cities: list[tuple[str, int]] = field(default_factory=list)  # biggest first

    @property
    def empty(self) -> bool:
        return not (self.sex or self.age or self.cities)


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _day(stamp: Any, default: date) -> date:
    try:
        return datetime.fromtimestamp(int(stamp), tz=UTC).date()
    except (TypeError, ValueError, OverflowError, OSError):
        return default


def _top(cities: Counter[str]) -> list[tuple[str, int]]:
    return [(name, n) for name, n in cities.most_common(TOP_CITIES) if n > 0]


def from_vk_stats(response: Any, today: date) -> Demographics | None:
    """``stats.get``'s response (the list under ``response``), periods summed; None when VK
    gave no period at all."""
    periods = [p for p in response if isinstance(p, dict)] if isinstance(response, list) else []
    if not periods:
        return None
    sex: Counter[str] = Counter()
    age: Counter[str] = Counter()
    sex_age: Counter[str] = Counter()
    cities: Counter[str] = Counter()
    for period in periods:
        block = period.get("visitors") or period.get("reach") or {}
        for target, key in ((sex, "sex"), (age, "age"), (sex_age, "sex_age")):
            for item in block.get(key) or []:
                if isinstance(item, dict) and item.get("value"):
                    target[str(item["value"])] += _int(item.get("count"))
        for item in block.get("cities") or []:
            if isinstance(item, dict):
                cities[str(item.get("name") or item.get("value") or "?")] += _int(item.get("count"))
    return Demographics(
        period_from=min(_day(p.get("period_from"), today) for p in periods),
        period_to=max(_day(p.get("period_to"), today) for p in periods),
        basis=VISITORS, sex=dict(sex), age=dict(age), sex_age=dict(sex_age), cities=_top(cities))


def from_ok_stat_people(response: Any, today: date) -> Demographics | None:
    """``group.getStatPeople``'s answer for the members (no ``demo_type``); None when it holds
    none of the fields."""
    if not isinstance(response, dict):
        return None
    sex: Counter[str] = Counter()
    age: Counter[str] = Counter()
    sex_age: Counter[str] = Counter()
    for code, key in (("f", "demography_female"), ("m", "demography_male")):
        for item in response.get(key) or []:
            if isinstance(item, dict) and item.get("name"):
                n = _int(item.get("value"))
                band = str(item["name"])
                sex[code] += n
                age[band] += n
                sex_age[f"{code};{band}"] += n
    cities: Counter[str] = Counter()
    for item in response.get("cities") or []:
        if isinstance(item, dict) and item.get("name"):
            cities[str(item["name"])] += _int(item.get("value"))
    if not (sex or cities):
        return None
    return Demographics(period_from=today, period_to=today, basis=MEMBERS, sex=dict(sex),
                        age=dict(age), sex_age=dict(sex_age), cities=_top(cities))
