from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def num(value: object) -> str:
    """12345 → '12 345' (a no-break space between thousands, as Russian writes them)."""
    try:
        return f"{round(float(str(value))):,}".replace(",", "\u00a0")
    except (TypeError, ValueError):
        return "—"
