"""The demographics parsers on answers in the documented shapes, odd ones included."""

from __future__ import annotations

from datetime import date

from kosmmos.connectors.demographics import TOP_CITIES, from_ok_stat_people, from_vk_stats

TODAY = date(2026, 12, 6)


def _period(start: int, end: int, f: int, m: int, city: int) -> dict[str, object]:
    return {"period_from": start, "period_to": end, "visitors": {
        "sex": [{"value": "f", "count": f}, {"value": "m", "count": m}],
        "age": [{"value": "18-21", "count": f + m}],
        "cities": [{"value": 1, "name": "Москва", "count": city}]}}


def test_it_sums_vk_periods_and_spans_them_all() -> None:
    mix = from_vk_stats([_period(1764547200, 1764633599, 10, 5, 7),
                         _period(1764633600, 1764719999, 20, 1, 9)], TODAY)
    assert mix is not None
    assert mix.sex == {"f": 30, "m": 6} and mix.age == {"18-21": 36}
    assert mix.cities == [("Москва", 16)]
    assert (mix.period_from, mix.period_to) == (date(2025, 12, 1), date(2025, 12, 2))


def test_it_falls_back_to_the_reach_block_and_skips_bad_items() -> None:
    mix = from_vk_stats([{"period_from": "x", "period_to": None, "reach": {
        "sex": [{"value": "f", "count": "12"}, {"count": 4}, "junk", {"value": "m", "count": -3}],
        "cities": [{"value": 5, "count": 2}]}}], TODAY)
    assert mix is not None
    assert mix.sex == {"f": 12, "m": 0}
    assert mix.cities == [("5", 2)]  # no name: the city id stands in
    assert mix.period_from == mix.period_to == TODAY


def test_it_keeps_the_biggest_cities_only() -> None:
    cities = [{"value": i, "name": f"c{i}", "count": i} for i in range(1, 30)]
    mix = from_vk_stats([{"visitors": {"sex": [{"value": "f", "count": 1}], "cities": cities}}],
                        TODAY)
    assert mix is not None
    assert [n for _c, n in mix.cities] == list(range(29, 29 - TOP_CITIES, -1))


def test_it_gives_nothing_for_empty_answers() -> None:
    assert from_vk_stats([], TODAY) is None
    assert from_vk_stats({"error": 1}, TODAY) is None
    assert from_ok_stat_people({}, TODAY) is None
    assert from_ok_stat_people([], TODAY) is None
    empty = from_vk_stats([{"period_from": 1, "period_to": 2, "visitors": {}}], TODAY)
    assert empty is not None and empty.empty
