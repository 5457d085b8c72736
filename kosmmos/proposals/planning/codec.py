"""Turn the planner's frozen dataclasses into JSON-ready dicts and back.

The plan is stored in a JSONField and versioned, so the encoding must be lossless: Decimals
travel as strings (floats would lose kopecks), dates as ISO strings, tuples as lists. Decoding
is driven by the dataclasses' type hints, so a new field needs no codec change.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from django.utils.functional import Promise

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    """Return ``value`` built only from dict, list, str, int, bool and None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    return value


def from_jsonable(cls: type[T], data: Any) -> T:
    """Rebuild an instance of dataclass ``cls`` from what ``to_jsonable`` produced."""
    return typing.cast(T, _decode(cls, data))


def _decode(hint: Any, data: Any) -> Any:
    if hint is Any:
        return data
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(options[0], data)
    if origin is tuple:
        (item,) = typing.get_args(hint)[:1]
        return tuple(_decode(item, element) for element in data)
    if origin in (dict, Mapping):
        _key, item = typing.get_args(hint)
        return {key: _decode(item, element) for key, element in data.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        known = {f.name for f in dataclasses.fields(hint) if f.init}
        return hint(**{name: _decode(hints[name], data[name]) for name in known if name in data})
    if hint is Decimal:
        return Decimal(str(data))
    if hint is date:
        return date.fromisoformat(data)
    return data
