"""The planner's single error type."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.functional import Promise

from kosmmos.lib.money import format_amount


class PlanError(ValueError):
    """A brief or an override the planner cannot turn into a plan.

    ``code`` is a stable machine code the UI can switch on (see ``CODES`` in the package docs);
    ``message`` is a translatable template with ``%(name)s`` placeholders filled from ``params``.
    The message is rendered when read, so it follows the language active at that moment.
    """

    def __init__(self, code: str, message: str | Promise, **params: Any) -> None:
        self.code = code
        self.template = message
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        if not self.params:
            return str(self.template)
        # Amounts (Decimal params) read like every money figure: '47 000', not '47000.00'.
        shown = {k: format_amount(v) if isinstance(v, Decimal) else v
                 for k, v in self.params.items()}
        return str(self.template) % shown

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
