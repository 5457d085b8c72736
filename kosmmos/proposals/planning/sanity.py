"""The budget that would reach a figure the client asked for, found by bisection.

The forecast never falls as the budget grows (each figure is a non-decreasing function of each
cell's spend), so the least budget that reaches a wanted figure is well defined; reach and
subscribers stop at the audience of the chosen networks and places, so some wishes are out of
reach at any budget.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal

STEP = Decimal(1000)  # a budget is proposed in whole thousands of roubles
MOST = 100  # beyond 100× the client's budget we say the wish is out of reach


def budget_to_reach(
    value_at: Callable[[Decimal], Decimal | None], budget: Decimal, wanted: Decimal
) -> Decimal | None:
    """The least budget, in whole thousands, whose expected figure is at least ``wanted``;
    None when even ``MOST`` times ``budget`` does not reach it."""

    def reaches(amount: Decimal) -> bool:
        value = value_at(amount)
        return value is not None and value >= wanted

    low = (budget / STEP).to_integral_value(ROUND_CEILING)
    if reaches(low * STEP):
        return low * STEP
    high = low * 2
    while not reaches(high * STEP):
        if high * STEP > budget * MOST:
            return None
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if reaches(middle * STEP):
            high = middle
        else:
            low = middle
    return high * STEP
