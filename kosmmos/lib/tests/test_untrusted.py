"""The door for untrusted input: nothing but BadInput ever comes out of it, on any input."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kosmmos.lib import untrusted
from kosmmos.lib.untrusted import BadInput

FAST = settings(max_examples=300, deadline=None)
MAX = Decimal("1000000000")

# Text as hostile senders write it: lone surrogates, NUL, RTL and zero-width marks, emoji.
hostile_chars = st.one_of(
    st.characters(),  # includes lone surrogates (category Cs)
    st.sampled_from(["\x00", "\ud800", "\udfff", "\u202e", "\u200b", "\u200f", "\ufeff", "😀", "\n"]),
)
hostile_text = st.text(alphabet=hostile_chars, max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=20,
)


def _storable(text: str) -> bool:
    text.encode("utf-8")  # raises on a lone surrogate
    return "\x00" not in text


@FAST
@given(hostile_text)
def test_it_makes_any_text_storable_and_keeps_the_rest(text: str) -> None:
    cleaned = untrusted.clean_text(text)
    assert _storable(cleaned)
    if _storable_or_false(text):
        assert cleaned == text


def _storable_or_false(text: str) -> bool:
    try:
        return _storable(text)
    except UnicodeEncodeError:
        return False


def test_it_replaces_lone_surrogates_and_removes_nul() -> None:
    assert untrusted.clean_text("a\ud800b\x00c") == "a\ufffdbc"
    assert untrusted.clean_text("\ud83d\ude00") == "😀"  # a pair left split is joined


@FAST
@given(hostile_text, st.integers(min_value=5, max_value=80))
def test_it_cuts_long_text_with_a_marker_and_keeps_the_length(text: str, limit: int) -> None:
    cut, length = untrusted.cut_text(text, limit)
    assert length == len(text)
    assert len(cut) <= limit
    if len(text) > limit:
        assert cut.endswith(untrusted.TRUNCATED)
    else:
        assert cut == text


@FAST
@given(hostile_text)
def test_it_makes_header_text_one_line(text: str) -> None:
    line = untrusted.header_text(text)
    assert not any(c in line for c in "\r\n\x00\u2028\u2029\x85")
    assert _storable(line)


@FAST
@given(json_values)
def test_it_parses_any_json_or_refuses_it_plainly(value: object) -> None:
    body = json.dumps(value).encode("utf-8", "surrogatepass")
    try:
        parsed = untrusted.parse_json(body)
    except BadInput as exc:
        assert exc.code in {"json_invalid", "json_too_deep", "number_invalid"}
        return
    assert _storable(json.dumps(parsed, ensure_ascii=False))


@FAST
@given(st.binary(max_size=200))
def test_it_never_raises_anything_but_bad_input_on_bytes(body: bytes) -> None:
    with contextlib.suppress(BadInput):
        untrusted.parse_json(body)


@pytest.mark.parametrize("body, code", [
    (b"[" * 100_000, "json_too_deep"),
    (b"{\"a\":" * 50_000, "json_too_deep"),
    (b"[1e400]", "number_invalid"),
    (b"[-1e400]", "number_invalid"),
    (b"[NaN]", "number_invalid"),
    (b"{\"x\": Infinity}", "number_invalid"),
    (b"1" * 5000, "number_invalid"),
    (b"{not json", "json_invalid"),
])
def test_it_refuses_what_breaks_parsers(body: bytes, code: str) -> None:
    with pytest.raises(BadInput) as caught:
        untrusted.parse_json(body)
    assert caught.value.code == code


def test_it_counts_brackets_inside_strings_as_text() -> None:
    body = json.dumps({"text": "[" * 1000 + "\\\"[["}).encode()
    assert untrusted.parse_json(body)["text"].startswith("[[[")


def test_it_reads_bad_utf8_and_surrogate_escapes_as_replacement_characters() -> None:
    assert untrusted.parse_json(b'{"a": "\\ud800x\\u0000", "b": "\xff"}') == {"a": "\ufffdx", "b": "\ufffd"}


@FAST
@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), hostile_text,
                 st.text(alphabet="0123456789-T:.+Z ", max_size=40), st.booleans(), st.none(),
                 st.datetimes().map(lambda d: d.isoformat())))
def test_it_reads_a_time_or_refuses_it(value: object) -> None:
    try:
        when = untrusted.instant(value)
    except BadInput as exc:
        assert exc.code == "time_invalid"
        return
    assert when.tzinfo is not None and when.utcoffset().total_seconds() == 0
    assert 2000 <= when.year <= 2100


@pytest.mark.parametrize("value", [
    1e300, float("inf"), 1_700_000_000_000, "1700000000000", "9" * 20, "1" * 5000,
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "10000-01-01T00:00:00", -1, True,
    "1999-12-31T23:59:59Z",
])
def test_it_refuses_times_outside_the_calendar(value: object) -> None:
    with pytest.raises(BadInput):
        untrusted.instant(value)


def test_it_reads_seconds_and_iso_times() -> None:
    moment = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert untrusted.instant(int(moment.timestamp())) == moment
    assert untrusted.instant(str(int(moment.timestamp()))) == moment
    assert untrusted.instant("2025-03-01T12:30:00+03:00") == moment
    assert untrusted.instant("2025-03-01T09:30:00") == moment


@FAST
@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), hostile_text,
                 st.decimals(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
                 st.text(alphabet="0123456789-+eE., ", max_size=30)))
def test_it_reads_an_amount_or_refuses_it(value: object) -> None:
    try:
        amount = untrusted.amount(value, maximum=MAX)
    except BadInput as exc:
        assert exc.code.startswith("amount_")
        return
    assert Decimal(0) <= amount <= MAX
    assert amount == amount.quantize(Decimal("0.01"))


@pytest.mark.parametrize("value, code", [
    ("-1e20", "amount_negative"), (-10**5000, "amount_negative"), (10**5000, "amount_too_large"),
    (1e300, "amount_too_large"), ("1e999999999999999999", "amount_too_large"),
    ("1e-999999999999999999", "amount_precision"), (float("nan"), "amount_invalid"),
    ("Infinity", "amount_invalid"), ("1" * 200, "amount_invalid"), ([1], "amount_invalid"),
], ids=lambda v: repr(v)[:20] if not isinstance(v, int) else f"int{v.bit_length()}")
def test_it_refuses_amounts_out_of_range(value: object, code: str) -> None:
    with pytest.raises(BadInput) as caught:
        untrusted.amount(value, maximum=MAX)
    assert caught.value.code == code


def test_it_reads_amounts_as_people_write_them() -> None:
    assert untrusted.amount("1 990,50", maximum=MAX) == Decimal("1990.50")
    assert untrusted.amount(12.5, maximum=MAX) == Decimal("12.50")
