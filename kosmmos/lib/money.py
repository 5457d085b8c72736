"""Money as people read it: roubles with Russian grouping."""

from __future__ import annotations


def format_rub(value: object) -> str:
    """12345.5 → '12 345,50 ₽' — Russian grouping with a narrow no-break space; '' if not a number."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    whole = f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"
    return whole.replace(",", "\u202f").replace(".", ",") + "\u00a0₽"
