"""Money as people read it: roubles with Russian grouping."""

from __future__ import annotations

from typing import Any


def format_rub(value: Any) -> str:
    """12345.5 → '12 345,50 ₽' — Russian grouping with a narrow no-break space; '' if not a number."""
    amount = format_amount(value)
    return amount + "\u00a0₽" if amount else ""


def format_amount(value: Any) -> str:
    """12345.5 → '12 345,50', 131000.00 → '131 000': the figure of ``format_rub`` without the
    sign, for texts that name the currency themselves ("… RUB"); '' if not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    whole = f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"
    return whole.replace(",", "\u202f").replace(".", ",")
