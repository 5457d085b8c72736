"""Splitting the monthly budget across networks and activities, exactly to the kopeck."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

KOPECK = Decimal("0.01")

Cell = tuple[str, str]  # (network, activity)


def rub(value: Decimal) -> Decimal:
    """An amount in RUB with exactly two decimal places (kopecks)."""
    return value.quantize(KOPECK)


def largest_remainder(total_kopecks: int, ideal: Sequence[Fraction]) -> list[int]:
    """Round ``ideal`` kopeck amounts (summing to ``total_kopecks``) to ints with the same sum.

    Every value is floored, then the kopecks left over go one each to the largest remainders;
    ties go to the earlier item, so the result depends only on the input order.
    """
    floors = [value.numerator // value.denominator for value in ideal]
    left = total_kopecks - sum(floors)
    order = sorted(range(len(ideal)), key=lambda i: (-(ideal[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def ideal_split(
    budget: Decimal,
    cells: Sequence[Cell],
    weights: Mapping[Cell, Fraction],
    minimums: Mapping[Cell, Decimal],
    use_minimums: bool,
) -> dict[Cell, Fraction]:
    """Exact (unrounded) RUB per cell; the values sum to ``budget``.

    With ``use_minimums`` every cell first gets its minimum and the rest of the budget follows
    the weights, so no activity is starved; the caller has checked the budget covers the sum
    of minimums. Without it (the manager fixed the shares) amounts follow the weights alone.
    The forecast uses these exact values: rounding can move a kopeck between cells as the
    budget grows (the Alabama paradox), and the forecast must grow with the budget.
    """
    total_weight = sum((weights[cell] for cell in cells), Fraction(0))
    floor_total = sum((Fraction(minimums[cell]) for cell in cells), Fraction(0))
    rest = Fraction(budget) - (floor_total if use_minimums else 0)
    split = {}
    for cell in cells:
        base = Fraction(minimums[cell]) if use_minimums else Fraction(0)
        split[cell] = base + rest * weights[cell] / total_weight
    return split


def round_split(budget: Decimal, ideal: Mapping[Cell, Fraction]) -> dict[Cell, Decimal]:
    """The ideal split in RUB with kopecks, summing exactly to ``budget``."""
    cells = list(ideal)
    kopecks = largest_remainder(int(budget / KOPECK), [ideal[cell] * 100 for cell in cells])
    return {cell: rub(Decimal(k) * KOPECK) for cell, k in zip(cells, kopecks, strict=True)}
