"""How much of a network's Russian audience lives where the client wants to be promoted."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from kosmmos.proposals.planning.benchmarks import GeoFactors
from kosmmos.proposals.planning.model import Geography


@dataclass(frozen=True)
class Place:
    """``share`` of the Russian audience in scope; ``home``: Russia; ``local``: named places."""

    share: Fraction
    home: bool
    local: bool
    unknown_places: tuple[str, ...]


def normalise(name: str) -> str:
    text = " ".join(name.lower().replace("ё", "е").split())
    for prefix in ("г. ", "г.", "город "):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
    return text


def resolve(geography: Geography, factors: GeoFactors) -> Place:
    """Places named in the brief, priced at the table's shares (unknown ones at the defaults).

    Shares of regions and cities are added and capped at the whole country; a city inside a
    named region is counted twice, which errs on the side of a bigger audience cap only.
    """
    home = normalise(geography.country) in factors.home_country
    if not home:
        return Place(Fraction(factors.abroad), home=False, local=False, unknown_places=())
    names = [*geography.regions, *geography.cities]
    if not names:
        return Place(Fraction(1), home=True, local=False, unknown_places=())
    total = Fraction(0)
    unknown = []
    for kind, places in (("region", geography.regions), ("city", geography.cities)):
        default = factors.default_region if kind == "region" else factors.default_city
        for place in places:
            share = factors.places.get(normalise(place))
            if share is None:
                unknown.append(place)
                share = default
            total += Fraction(share)
    return Place(min(total, Fraction(1)), home=True, local=True, unknown_places=tuple(unknown))
