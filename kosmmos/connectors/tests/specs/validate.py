"""Check requests and payloads against the networks' own specs (vendored next to this file).

Two specs, two small validators, one rule: what the spec does not declare is an error. A
request may only use declared method and parameter names, with values of the declared type and
every required parameter present; a payload (a fixture, or what a test's fake answers) may only
carry declared fields, of the declared types, with every required field present. So a fake
cannot invent a field the code then reads, and the code cannot send what the network does not
take. Nested objects the vendored cut does not include are accepted as any object.

- VK: VKCOM/vk-api-schema (JSON Schema, draft-07 with VK's keywords: ``required`` on a
  property, ``access_token_type`` on a method).
- Telegram: PaulSonOfLars/telegram-bot-api-spec ``api.json`` (methods and types scraped from
  https://core.telegram.org/bots/api: ``fields[{name, types, required}]``, ``subtypes``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Set
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

# What dev.vk.com documents and the schema omits (the schema is generated and has gaps); each
# entry names the page that documents it.
VK_ERRATA: dict[str, set[str]] = {
    # https://dev.vk.com/ru/method/wall.get — owner_id: "ID of the user or community".
    "wall.get": {"owner_id"},
}
# Event fields VK sends beyond the callback schema, treated as a bonus the code must not need:
# wall_repost's object is a wall post whose copy_history names the reposted post
# (https://dev.vk.com/ru/api/community-events/json-schema shows it; the schema's object lacks it).
# wall_reply_delete carries deleter_id (the same page; the schema's object lacks it).
VK_EVENT_EXTRAS: dict[str, set[str]] = {"wall_repost": {"copy_history"},
                                        "wall_reply_delete": {"deleter_id"}}


# --- VK ----------------------------------------------------------------------------------------

@cache
def vk_methods() -> dict[str, dict[str, Any]]:
    data = json.loads((HERE / "vk" / "methods.json").read_text(encoding="utf-8"))
    return {m["name"]: m for m in data["methods"]}


@cache
def vk_definitions() -> dict[str, Any]:
    return dict(json.loads((HERE / "vk" / "definitions.json").read_text(encoding="utf-8"))
                ["definitions"])


def vk_ref(ref: str) -> Any:
    """A definition by its ``$ref`` (None when the vendored cut stops before it)."""
    path, _, pointer = ref.partition("#/definitions/")
    return vk_definitions().get(f"{path.replace('../', '')}#{pointer}")


def vk_definition(name: str) -> Any:
    """A definition by its file and name, e.g. ``callback/objects.json#callback_wall_repost``."""
    return vk_definitions()[name]


INTEGER = re.compile(r"-?\d+")


def _vk_scalar_ok(kind: Any, value: str) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    for one in kinds:
        if one == "string" or one is None:
            return True
        if one == "integer" and INTEGER.fullmatch(value):
            return True
        if one == "boolean" and value in ("0", "1", "true", "false"):
            return True
        if one == "number":
            try:
                float(value)
            except ValueError:
                continue
            return True
    return False


def vk_request(method: str, params: dict[str, str], token_type: str | None = None) -> list[str]:
    """Problems with one VK method call as it is sent (form values are strings)."""
    spec = vk_methods().get(method)
    if spec is None:
        return [f"VK {method}: no such method in the schema"]
    problems = []
    if token_type and token_type not in spec.get("access_token_type", []):
        problems.append(f"VK {method}: a {token_type} token is not accepted "
                        f"(schema: {spec.get('access_token_type')})")
    declared = {p["name"]: p for p in spec["parameters"]}
    sent = {k: v for k, v in params.items() if k not in ("access_token", "v")}
    for name, value in sent.items():
        parameter = declared.get(name)
        if parameter is None:
            if name not in VK_ERRATA.get(method, set()):
                problems.append(f"VK {method}: undeclared parameter {name!r}")
            continue
        kind = parameter.get("type")
        if kind == "array":
            item = (parameter.get("items") or {}).get("type", "string")
            values = value.split(",") if value else []
            bad = [v for v in values if not _vk_scalar_ok(item, v)]
            if bad:
                problems.append(f"VK {method}: {name} items {bad!r} are not {item}")
        elif not _vk_scalar_ok(kind, value):
            problems.append(f"VK {method}: {name}={value!r} is not {kind}")
        if "enum" in parameter and value not in [str(e) for e in parameter["enum"]]:
            problems.append(f"VK {method}: {name}={value!r} is not one of {parameter['enum']}")
    for name, parameter in declared.items():
        if parameter.get("required") and name not in sent:
            problems.append(f"VK {method}: required parameter {name!r} is missing")
    return problems


def vk_response(method: str, body: Any) -> list[str]:
    """Problems with a VK answer ``{"response": ...}`` (or ``{"error": ...}``) to ``method``."""
    if isinstance(body, dict) and "error" in body:
        return vk_error(body)
    spec = vk_methods().get(method)
    if spec is None:
        return [f"VK {method}: no such method in the schema"]
    if not isinstance(body, dict) or set(body) != {"response"}:
        return [f"VK {method}: the answer is not {{'response': ...}}"]
    found: list[list[str]] = []
    for name, ref in spec["responses"].items():
        schema = vk_ref(ref["$ref"])
        if schema is None:
            return []
        problems = vk_value(schema["properties"]["response"], body["response"], f"{method}")
        if not problems:
            return []
        found.append([f"({name}) {p}" for p in problems])
    return min(found, key=len)


def vk_error(body: dict[str, Any]) -> list[str]:
    # https://dev.vk.com/ru/reference/errors — {"error": {"error_code", "error_msg", ...}}
    error = body.get("error")
    if set(body) != {"error"} or not isinstance(error, dict):
        return ["VK error: not {'error': {...}}"]
    problems = []
    if not isinstance(error.get("error_code"), int) or isinstance(error.get("error_code"), bool):
        problems.append("VK error: error_code is not an integer")
    if not isinstance(error.get("error_msg"), str):
        problems.append("VK error: error_msg is not a string")
    return problems


def _vk_merge(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema with its allOf branches and ``$ref`` folded into one property map."""
    merged: dict[str, Any] = {"properties": {}, "required": []}
    parts = [schema]
    seen = 0
    while parts and seen < 50:
        seen += 1
        part = parts.pop()
        if "$ref" in part:
            target = vk_ref(part["$ref"])
            if target is None:
                merged["open"] = True
            else:
                parts.append(target)
        parts += part.get("allOf", [])
        if part.get("additionalProperties") not in (None, False):
            merged["open"] = True
        merged["properties"].update(part.get("properties", {}))
        if isinstance(part.get("required"), list):
            merged["required"] += part["required"]
        for key in ("oneOf", "anyOf"):
            if key in part:
                merged.setdefault("choices", []).append(part[key])
    merged["required"] += [k for k, v in merged["properties"].items()
                           if isinstance(v, dict) and v.get("required") is True]
    return merged


def _fewest(tried: list[list[str]]) -> list[str]:
    """Of the branches a value failed, the one it came closest to: its problems say the most."""
    return sorted(tried, key=len)[0]


def vk_value(schema: Any, value: Any, where: str) -> list[str]:
    """Problems with a decoded JSON value against a VK schema node."""
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema and "properties" not in schema and "allOf" not in schema:
        target = vk_ref(schema["$ref"])
        return [] if target is None else vk_value(target, value, where)
    for key in ("oneOf", "anyOf"):
        if key in schema and "properties" not in schema:
            tried = [vk_value(branch, value, where) for branch in schema[key]]
            return [] if any(not t for t in tried) else _fewest(tried)
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} is not one of {schema['enum']}"]
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if "properties" in schema or "allOf" in schema or kinds == ["object"]:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        merged = _vk_merge(schema)
        problems: list[str] = []
        for choices in merged.get("choices", []):
            found = [vk_value(branch, value, where) for branch in choices]
            if all(found):
                problems += _fewest(found)
        properties = merged["properties"]
        if properties or not merged.get("open"):
            for name, item in value.items():
                if name not in properties:
                    if not merged.get("open") and properties:
                        problems.append(f"{where}.{name}: not in the schema")
                    continue
                problems += vk_value(properties[name], item, f"{where}.{name}")
        for name in merged["required"]:
            if name not in value:
                problems.append(f"{where}.{name}: required, missing")
        return problems
    if not kinds:
        return []
    for one in kinds:
        if one == "array" and isinstance(value, list):
            problems = []
            for index, item in enumerate(value):
                problems += vk_value(schema.get("items", {}), item, f"{where}[{index}]")
            return problems
        if _json_type_ok(one, value):
            return []
    return [f"{where}: {value!r} is not {kind}"]


def _json_type_ok(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "null":
        return value is None
    return False


def vk_event(event: Any) -> list[str]:
    """A Callback API / Bots Long Poll event against the callback schema."""
    if not isinstance(event, dict):
        return ["VK event: not an object"]
    kind = event.get("type")
    if kind == "confirmation":
        # https://dev.vk.com/ru/api/callback/getting-started shows {"type", "group_id"} only
        # (the schema's base would require event_id and v).
        unknown = set(event) - {"type", "group_id", "secret", "event_id", "v"}
        return [f"confirmation.{name}: not in the schema" for name in sorted(unknown)] + [
            f"confirmation.{name}: required, missing" for name in ("type", "group_id")
            if name not in event]
    base = vk_definition("callback/objects.json#callback_base")
    problems = vk_value(base, {k: v for k, v in event.items() if k != "object"}, "event")
    names = {"wall_reply_delete": "callback_wall_comment_delete",
             "message_new": "callback_message_object"}
    name = names.get(str(kind), f"callback_{kind}")
    schema = vk_definitions().get(f"callback/objects.json#{name}")
    if schema is None:
        return [*problems, f"VK event: no callback schema for {kind!r}"]
    obj = event.get("object")
    extras = VK_EVENT_EXTRAS.get(str(kind), set())
    if isinstance(obj, dict) and extras:
        obj = {k: v for k, v in obj.items() if k not in extras}
    return problems + vk_value(schema, obj, f"{kind}.object")


# --- Telegram ----------------------------------------------------------------------------------

@cache
def telegram() -> dict[str, Any]:
    return dict(json.loads((HERE / "telegram" / "api.json").read_text(encoding="utf-8")))


def tg_value(kinds: list[str], value: Any, where: str, *, form: bool = False) -> list[str]:
    """Problems with ``value`` against a Bot API type list (``["Integer", "String"]``).
    ``form``: the value came as a multipart field (every value a string, objects as JSON)."""
    tried: list[list[str]] = []
    for kind in kinds:
        problems = _tg_one(kind, value, where, form=form)
        if not problems:
            return []
        tried.append(problems)
    return min(tried, key=len) if tried else []


def _tg_one(kind: str, value: Any, where: str, *, form: bool) -> list[str]:
    if form and isinstance(value, str) and kind not in ("String", "InputFile"):
        if kind == "Integer":
            return [] if INTEGER.fullmatch(value) else [f"{where}: {value!r} is not Integer"]
        if kind in ("Boolean", "True"):
            return [] if value in ("true", "false") else [f"{where}: {value!r} is not {kind}"]
        try:
            value = json.loads(value)
        except ValueError:
            return [f"{where}: {value!r} is not JSON for {kind}"]
    if kind.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{where}: expected {kind}"]
        problems = []
        for index, item in enumerate(value):
            problems += tg_value([kind[len("Array of "):]], item, f"{where}[{index}]")
        return problems
    simple = {"Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "String": lambda v: isinstance(v, str), "Boolean": lambda v: isinstance(v, bool),
              "True": lambda v: v is True,
              "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}
    if kind in simple:
        return [] if simple[kind](value) else [f"{where}: {value!r} is not {kind}"]
    if kind == "InputFile":
        return [] if isinstance(value, str) else [f"{where}: not a file reference"]
    spec = telegram()["types"].get(kind)
    if spec is None:
        return [] if isinstance(value, dict) else [f"{where}: {kind} is not an object"]
    if spec.get("subtypes"):
        return tg_value(spec["subtypes"], value, where)
    return tg_object(kind, value, where)


def tg_object(kind: str, value: Any, where: str = "") -> list[str]:
    spec = telegram()["types"][kind]
    where = where or kind
    if not isinstance(value, dict):
        return [f"{where}: expected {kind}"]
    fields = {f["name"]: f for f in spec.get("fields", [])}
    problems = []
    for name, item in value.items():
        field = fields.get(name)
        if field is None:
            problems.append(f"{where}.{name}: not a field of {kind}")
            continue
        problems += tg_value(field["types"], item, f"{where}.{name}")
        # A discriminator ("type", "status") is described as "always “channel”" and so on.
        fixed = re.search(r"always “([^”]+)”", field.get("description", ""))
        if fixed and item != fixed.group(1):
            problems.append(f"{where}.{name}: {item!r} is not {fixed.group(1)!r}")
    for name, field in fields.items():
        if field.get("required") and name not in value:
            problems.append(f"{where}.{name}: required, missing")
    return problems


def tg_request(method: str, params: dict[str, Any], *, files: Set[str] = frozenset(),
               form: bool = False) -> list[str]:
    """Problems with one Bot API call: ``params`` is the JSON body or the multipart fields
    (``form``), ``files`` the names of the multipart file parts."""
    spec = telegram()["methods"].get(method)
    if spec is None:
        return [f"Telegram {method}: no such method in the spec"]
    fields = {f["name"]: f for f in spec.get("fields", [])}
    problems = []
    attached = set(files)
    for name, value in params.items():
        field = fields.get(name)
        if field is None:
            problems.append(f"Telegram {method}: undeclared parameter {name!r}")
            continue
        problems += tg_value(field["types"], value, f"Telegram {method}.{name}", form=form)
        if isinstance(value, str):
            attached -= {m.group(1) for m in re.finditer(r"attach://(\w+)", value)}
    for name in attached:
        if name in fields and "InputFile" in fields[name]["types"]:
            continue
        problems.append(f"Telegram {method}: file part {name!r} is neither a parameter nor "
                        "attached by attach://")
    for name, field in fields.items():
        if field.get("required") and name not in params and name not in files:
            problems.append(f"Telegram {method}: required parameter {name!r} is missing")
    return problems


def tg_response(method: str, body: Any) -> list[str]:
    """Problems with a Bot API answer (https://core.telegram.org/bots/api#making-requests)."""
    if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
        return [f"Telegram {method}: the answer has no boolean 'ok'"]
    if not body["ok"]:
        problems = []
        if set(body) - {"ok", "error_code", "description", "parameters"}:
            problems.append(f"Telegram {method}: unknown keys in an error answer")
        if not isinstance(body.get("error_code"), int):
            problems.append(f"Telegram {method}: error_code is not an integer")
        if not isinstance(body.get("description"), str):
            problems.append(f"Telegram {method}: description is not a string")
        if "parameters" in body:
            problems += tg_object("ResponseParameters", body["parameters"], "parameters")
        return problems
    spec = telegram()["methods"].get(method)
    if spec is None:
        return [f"Telegram {method}: no such method in the spec"]
    if set(body) - {"ok", "result", "description"}:
        return [f"Telegram {method}: unknown keys {sorted(set(body) - {'ok', 'result'})}"]
    return tg_value(spec["returns"], body.get("result"), f"Telegram {method} result")


def tg_update(update: Any) -> list[str]:
    return tg_object("Update", update)
