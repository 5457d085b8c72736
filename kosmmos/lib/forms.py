"""Form helpers shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms


def model_choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's field ``name``, a model choice field whose queryset a form narrows in
    ``__init__`` (its ``fields`` are typed as plain fields)."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField), f"{name} is not a model choice field"
    return field
