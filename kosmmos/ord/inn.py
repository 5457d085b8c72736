"""INN (ИНН) checks: the length a legal form needs and the control digits of the Federal Tax
Service's algorithm (order of the Ministry of Taxes of 03.03.2004 № БГ-3-09/178, the weights
below): 10 digits for a company (one control digit), 12 for a person or a sole trader (two)."""

from __future__ import annotations

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def valid_inn(inn: str) -> bool:
    """True when ``inn`` is 10 or 12 digits whose control digits match."""
    if not inn.isascii() or not inn.isdigit() or len(inn) not in (10, 12):
        return False
    d = [int(c) for c in inn]
    if len(inn) == 10:
        return _digit(d, _W10) == d[9]
    return _digit(d, _W11) == d[10] and _digit(d, _W12) == d[11]


def inn_length(legal_form: str) -> int | None:
    """The length the legal form needs; None when an INN is not required (foreign company)."""
    return {"juridical": 10, "ip": 12, "physical": 12}.get(legal_form)


def with_control(prefix: str) -> str:
    """A valid INN from its first 9 (company) or 10 (person) digits: for demo data and tests."""
    d = [int(c) for c in prefix]
    if len(prefix) == 9:
        return prefix + str(_digit(d, _W10))
    first = _digit(d, _W11)
    return prefix + str(first) + str(_digit([*d, first], _W12))
