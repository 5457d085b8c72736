"""Axis scales and the number format of chart labels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import get_format
from django.utils.translation import pgettext


def short(value: float) -> str:
    """Axis labels in the page's language: 1500 → "1,5 тыс.", 2000000 → "2 млн" on a Russian
    page, "1.5k" and "2M" on an English one; −50000 → "−50 тыс." / "−50k"."""
    sign = "−" if value < 0 else ""
    value = abs(value)
    if value >= 1_000_000:
        number, unit = value / 1_000_000, pgettext("chart axis, millions", "M")
    elif value >= 1000:
        number, unit = value / 1000, pgettext("chart axis, thousands", "k")
    else:
        number, unit = value, ""
    text = f"{number:.3g}".replace(".", str(get_format("DECIMAL_SEPARATOR")))
    return f"{sign}{text}{unit}"


def percent(value: float) -> str:
    return f"{value:.0f}%"


@dataclass(frozen=True)
class Axis:
    """A value axis from ``low`` to ``high`` with a tick every ``step``."""

    high: float
    step: float
    low: float = 0.0

    @property
    def ticks(self) -> list[float]:
        return [self.low + self.step * i for i in range(round((self.high - self.low) / self.step) + 1)]


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def nice_axis(peak: float) -> Axis:
    """Zero to a round maximum in four steps (1.25k, 2.5k, 3.75k, 5k)."""
    high = nice_max(peak)
    return Axis(high, high / 4)


def count_axis(peak: float) -> Axis:
    """Zero to at least ``peak`` in four whole-number steps, so a day with five comments never
    reads "1.25" on the axis."""
    need = peak / 4
    power = 1
    while True:
        for mult in (1, 2, 5) if power == 1 else (1, 2, 2.5, 5):
            step = int(mult * power)
            if step >= need:
                return Axis(step * 4, step)
        power *= 10


def signed_axis(low: float, high: float, most: int = 6) -> Axis:
    """Round ticks over ``low``..``high`` (which may go below zero) with zero on a tick, in at
    most ``most`` steps."""
    low, high = min(low, 0.0), max(high, 0.0)
    step = nice_max((high - low) / most)
    while True:
        top = math.ceil(high / step - 1e-9) * step
        bottom = math.floor(low / step + 1e-9) * step
        if top == bottom:
            top += step
        if (top - bottom) / step <= most + 1e-9:
            return Axis(top, step, bottom)
        step = nice_max(step * 1.001)


def thin(labels: Sequence[str], every: int, *, keep_last: bool = False) -> list[str]:
    """Every ``every``-th label, counted from the first (or back from the last); blanks between."""
    n = len(labels)
    return [label if ((n - 1 - i) if keep_last else i) % max(1, every) == 0 else ""
            for i, label in enumerate(labels)]
