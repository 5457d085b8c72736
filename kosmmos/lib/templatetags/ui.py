"""Small template helpers so every form looks and behaves the same."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import pgettext

from kosmmos.lib.money import format_rub

register = template.Library()

_CHOICE_WIDGETS = (forms.CheckboxSelectMultiple, forms.RadioSelect)


@register.simple_tag
def field(bound: BoundField, **options: object) -> SafeString:
    """Label, control, help and errors of one field, Bootstrap-styled, errors announced."""
    widget = bound.field.widget
    kind = "choices" if isinstance(widget, _CHOICE_WIDGETS) else (
        "check" if isinstance(widget, forms.CheckboxInput) else (
            "select" if isinstance(widget, forms.Select) else "input"))
    css = {"choices": "", "check": "form-check-input", "select": "form-select"}.get(kind, "form-control")
    if kind == "input" and isinstance(widget, forms.TextInput) and widget.input_type == "color":
        css = "form-control form-control-color"
    if bound.errors:
        css += " is-invalid"
    if kind == "choices":
        # Each option renders from the widget's own attrs, not from as_widget(attrs=...).
        widget.attrs["class"] = "form-check-input" + (" is-invalid" if bound.errors else "")
    attrs: dict[str, str | bool] = {"class": css.strip()}
    if bound.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound.auto_id}_error"
    return render_to_string("includes/field.html", {
        "f": bound, "kind": kind, "widget": bound.as_widget(attrs=attrs), **options,
    })


@register.filter
def money(value: object) -> str:
    """12345.5 → '12 345,50 ₽' (kosmmos/lib/money.py)."""
    return format_rub(value)


@register.filter
def seconds(value: object, places: int = 2) -> str:
    """0.153 → '0,15 с' on a Russian page, '0.15 s' on an English one: the number and the unit
    in the page's language (a bare "s" after a Russian decimal read as a typo)."""
    return _duration(value, places, pgettext("unit of time, seconds", "s"))


@register.filter
def milliseconds(value: object) -> str:
    """412 → '412 мс' / '412 ms'."""
    return _duration(value, 0, pgettext("unit of time, milliseconds", "ms"))


def _duration(value: object, places: int, unit: str) -> str:
    if value is None or value == "":
        return ""
    try:
        number = float(str(value))  # an int, float, Decimal or their text
    except ValueError:
        return str(value)
    # The non-breaking space keeps the unit on the number's line in a narrow table cell.
    return f"{number_format(round(number, places), places)}\u00a0{unit}"
