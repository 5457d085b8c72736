"""The one door for JSON, text, times and amounts that come from outside.

Everything a stranger sends — a webhook, a postback, the site snippet's events, an API body — is
read here, and whatever cannot be used is refused with a :class:`BadInput` that says why (``code``
for machines, ``message`` for people). Nothing here raises anything else on any input.

The rules, in one place:

- **JSON**: UTF-8 (an undecodable byte becomes U+FFFD); at most ``MAX_DEPTH`` levels of
  nesting, checked before parsing, so a body of ten thousand ``[`` is ``json_too_deep`` rather
  than a ``RecursionError``; integers of more than ``MAX_INT_DIGITS`` digits, numbers beyond the
  range of a float and the non-standard ``NaN``/``Infinity`` are ``number_invalid``. Every string
  in the result (keys too) has passed :func:`clean_text`.
- **Text** the database cannot store: a lone UTF-16 surrogate (``"\\ud800"`` in JSON) becomes
  U+FFFD, the replacement character, and NUL characters are removed; the item is kept. A text
  longer than a store keeps is cut by :func:`cut_text` with the visible marker ``TRUNCATED`` at
  its end, and the original length is returned for the caller to keep.
- **Times**: unix seconds (int, float or a string of digits) or ISO 8601; a naive ISO time is
  UTC. A number that only makes sense in milliseconds, a year outside ``lib.dates`` FIRST_YEAR ..
  LAST_YEAR and an offset that pushes a time outside the calendar (``0001-01-01T00:00:00+05:00``)
  are ``time_invalid``. The result is always an aware datetime in UTC.
- **Amounts**: decimals with at most ``places`` decimal places, finite, not negative, at most
  ``maximum``; "1 990,50" (spaces, a decimal comma) is read as 1990.50.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from typing import Any

from kosmmos.lib.dates import FIRST_YEAR, LAST_YEAR

MAX_DEPTH = 64
MAX_INT_DIGITS = 40
REPLACEMENT = "\ufffd"
TRUNCATED = " […]"
# Unix seconds from this on would be after the year 5138: such a number is milliseconds.
MILLISECONDS_FROM = 10**11


class BadInput(Exception):
    """Input refused: ``code`` for machines, ``message`` for people (English, plain)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


# --- Text ----------------------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` as the database can store it: lone surrogates → U+FFFD, NUL characters removed.

    A well-formed surrogate pair (two code points, as some decoders leave them) is joined into
    the one character it encodes.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():  # the common case (ids, keys, Latin text): no surrogate can be there
        return text
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def cut_text(text: str, limit: int) -> tuple[str, int]:
    """``(text, original length)``: cut to at most ``limit`` characters, ending in TRUNCATED."""
    length = len(text)
    if length <= limit:
        return text, length
    keep = max(0, limit - len(TRUNCATED))
    return (text[:keep] + TRUNCATED)[:limit], length


def header_text(text: str) -> str:
    """One line for an email header or a title: line breaks and control characters → spaces."""
    text = clean_text(text)
    return " ".join("".join(" " if (ord(c) < 32 or c in "\x7f\x85\u2028\u2029") else c
                            for c in text).split())


# --- JSON ----------------------------------------------------------------------------------------

# A JSON string literal; what is left after removing them holds every structural bracket.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (valid JSON or not)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(_STEP[c] for c in brackets), default=0)


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadInput("number_invalid", f"an integer has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput("number_invalid", "a number is too large")
    return value


def _constant(name: str) -> Any:
    raise BadInput("number_invalid", f"{name} is not a JSON number")


def clean_value(value: Any) -> Any:
    """Every string of a parsed document (keys too) through clean_text. The depth is the
    caller's to bound (parse_json does); a document too deep to walk becomes None."""
    try:
        return _clean(value)
    except RecursionError:
        return None


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean(v) for k, v in value.items()}
    return value


def parse_json(body: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The document in ``body``, or BadInput (``json_invalid``, ``json_too_deep``, ``number_invalid``)."""
    text = body.decode("utf-8", "replace").removeprefix("\ufeff") if isinstance(body, bytes) else body
    if json_depth(text) > max_depth:
        raise BadInput("json_too_deep", f"the JSON is nested more than {max_depth} levels deep")
    try:
        data = json.loads(text, parse_int=_integer, parse_float=_float, parse_constant=_constant)
    except BadInput:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadInput("json_invalid", "the body is not valid JSON") from exc
    return _clean(data)


# --- Times ---------------------------------------------------------------------------------------

_ISO_LIKE = re.compile(r"^[0-9T:.+\-Z ]{4,40}$", re.IGNORECASE)


def _in_calendar(when: datetime) -> datetime:
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise BadInput("time_invalid", f"the time must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return when


def _from_seconds(seconds: float) -> datetime:
    if not math.isfinite(seconds) or abs(seconds) >= 1000 * MILLISECONDS_FROM:
        raise BadInput("time_invalid", "the time is out of range")
    if abs(seconds) >= MILLISECONDS_FROM:
        raise BadInput("time_invalid", "the time must be unix seconds (this looks like milliseconds)")
    try:
        return _in_calendar(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError) as exc:
        raise BadInput("time_invalid", "the time is out of range") from exc


def instant(value: Any) -> datetime:
    """An aware UTC datetime from unix seconds or ISO 8601, or BadInput ``time_invalid``."""
    if isinstance(value, bool):
        raise BadInput("time_invalid", "the time must be unix seconds or ISO 8601")
    if isinstance(value, int):
        return _from_seconds(value if abs(value) < 1000 * MILLISECONDS_FROM else math.inf)
    if isinstance(value, float):
        return _from_seconds(value)
    if not isinstance(value, str):
        raise BadInput("time_invalid", "the time must be unix seconds or ISO 8601")
    text = value.strip()
    if re.fullmatch(r"[0-9]{1,20}(\.[0-9]{1,9})?", text):
        return _from_seconds(float(text))
    if not _ISO_LIKE.match(text):
        raise BadInput("time_invalid", "the time must be unix seconds or ISO 8601")
    try:
        when = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise BadInput("time_invalid", "the time must be unix seconds or ISO 8601") from exc
    return _in_calendar(when)


# --- Amounts -------------------------------------------------------------------------------------

_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")


def amount(value: Any, *, maximum: Decimal, places: int = 2) -> Decimal:
    """A finite, non-negative decimal ≤ ``maximum`` with at most ``places`` decimals.

    Codes: ``amount_invalid``, ``amount_negative``, ``amount_too_large``, ``amount_precision``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise BadInput("amount_invalid", "amount must be a number such as 1990.50")
    if isinstance(value, int) and value < 0:
        raise BadInput("amount_negative", "amount must not be negative")
    if isinstance(value, int) and value > maximum:  # compared before str(), which caps digits
        raise BadInput("amount_too_large", f"amount is larger than {maximum:,}")
    text = str(value).strip().translate(_SPACES)
    if len(text) > 100:
        raise BadInput("amount_invalid", "amount must be a number such as 1990.50")
    if isinstance(value, str) and "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise BadInput("amount_invalid", "amount must be a number such as 1990.50") from exc
    if not number.is_finite():
        raise BadInput("amount_invalid", "amount must be a finite number")
    if number < 0:
        raise BadInput("amount_negative", "amount must not be negative")
    if number > maximum:
        raise BadInput("amount_too_large", f"amount is larger than {maximum:,}")
    step = Decimal(1).scaleb(-places)
    try:
        rounded = number.quantize(step)
    except InvalidOperation as exc:  # an exponent far below the step
        raise BadInput("amount_precision", _too_precise(places)) from exc
    if number != rounded:
        raise BadInput("amount_precision", _too_precise(places))
    return rounded


def _too_precise(places: int) -> str:
    words = {0: "no", 1: "one", 2: "two", 3: "three"}
    return f"amount has more than {words.get(places, places)} decimal places"
