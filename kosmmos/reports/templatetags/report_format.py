"""Figures as a Russian reader expects them: 12 345 (a narrow no-break space between groups),
12,5 % (a decimal comma), 12 345,50 ₽ (``lib.money``). Values may be the strings a stored
version keeps for Decimals; ``—`` stands for a figure that does not exist."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext

from kosmmos.lib.money import format_rub

register = template.Library()

NONE = "—"
THIN = "\u202f"


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)  # type: ignore[arg-type]  # str, int, float, Decimal all convert
    except (TypeError, ValueError):
        return None


@register.filter
def num(value: object, digits: int = 0) -> str:
    """12345 → '12 345'; 1234.5 with digits=1 → '1 234,5'; a negative gets a real minus."""
    number = _number(value)
    if number is None:
        return NONE
    text = f"{abs(number):,.{int(digits)}f}".replace(",", THIN).replace(".", ",")
    return ("−" if number < 0 and text.strip("0,\u202f") else "") + text


@register.filter
def signed(value: object) -> str:
    number = _number(value)
    if number is None:
        return NONE
    return ("+" if number > 0 else "") + num(number)


@register.filter
def pct(value: object, digits: int = 1) -> str:
    """A percentage already ×100: 12.5 → '12,5 %'."""
    number = _number(value)
    return NONE if number is None else f"{num(number, digits)}\u00a0%"


@register.filter
def share(value: object) -> str:
    """A share 0..1 as a percentage: 0.125 → '12,5 %'."""
    number = _number(value)
    return NONE if number is None else pct(number * 100)


@register.filter
def rub(value: object) -> str:
    return format_rub(value) or NONE


@register.filter
def minutes(value: object) -> str:
    number = _number(value)
    if number is None:
        return NONE
    if number < 60:
        return f"{num(number)}\u00a0{pgettext('minutes, short', 'min')}"
    return f"{num(number / 60, 1)}\u00a0{pgettext('hours, short', 'h')}"
