"""Durations in the page's language: «0,15 с» and «412 мс» on a Russian page, never «0,15 s»."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

NBSP = "\u00a0"


def render(source: str, **values: object) -> str:
    return Template("{% load ui %}" + source).render(Context(values))


@pytest.mark.parametrize(("language", "late", "took"), [
    ("ru", f"0,15{NBSP}с", f"412{NBSP}мс"), ("en", f"0.15{NBSP}s", f"412{NBSP}ms")])
def test_it_writes_seconds_and_milliseconds_in_the_pages_language(language: str, late: str,
                                                                   took: str) -> None:
    with translation.override(language):
        assert render("{{ v|seconds }}", v=0.153) == late
        assert render("{{ v|milliseconds }}", v=412) == took
        assert render("{{ v|seconds }}", v=Decimal("0.149")) == late
        assert render("{{ v|seconds:1 }}", v=2) == (f"2,0{NBSP}с" if language == "ru"
                                                     else f"2.0{NBSP}s")


def test_it_leaves_a_missing_duration_empty_and_text_as_it_is() -> None:
    with translation.override("ru"):
        assert render("[{{ v|seconds }}]", v=None) == "[]"
        assert render("[{{ v|milliseconds }}]", v="n/a") == "[n/a]"
