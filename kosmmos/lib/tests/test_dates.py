from datetime import date

from kosmmos.lib.dates import query_date


def test_it_reads_a_typed_day_or_nothing() -> None:
    assert query_date("2026-11-26") == date(2026, 11, 26)
    # Well formed but impossible, out of range, or not a date: ignored, never an exception.
    for typed in ("", "2024-99-99", "2026-02-30", "0001-01-01", "9999-12-31", "abc", "2026-1-1x"):
        assert query_date(typed) is None, typed
