"""Lazy translations for the texts ninja and pydantic keep: summaries, descriptions, titles."""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy as _lazy


def gettext_lazy(message: str) -> str:
    """Django's ``gettext_lazy``, typed as the ``str`` that ninja's and pydantic's signatures ask
    for. They store the text and only ever turn it into a string, so each OpenAPI document is
    rendered in the language of the request that asks for it."""
    return cast(str, _lazy(message))
