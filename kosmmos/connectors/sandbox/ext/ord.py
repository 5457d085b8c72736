"""A fake VK ORD under ``/ord/…``: the same paths and shapes as ``connectors/vkord/client.py``.

Upserts by external id (persons, contracts, pads, media, creatives, statistics rows, invoices),
the erid of a creative stable across updates, ``erir_status`` moving from ``processing`` to
``verified`` (or ``bad`` with a message) some seconds after a write, and the faults the ORD's
clients must survive, set with ``PUT /ord/_config``: ``latency_ms`` [low, high] (slow answers),
``error_rate`` (a 500 before anything is stored), ``lost_rate`` (stored, then the answer is lost:
the connection is cut or the answer comes late), ``bad_rate`` (share of objects ЕРИР rejects),
``verify_after_s``. Refusals as the real one documents them: 400 for missing fields, 404 for an
unknown referenced object, 409 for a second person with the same INN or a second upload of a
media id. ``GET /ord/_summary`` counts objects and duplicates (the same statistics period sent
under two ids, two creatives for one post text) for tests and the bench.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from typing import TYPE_CHECKING, Any

from kosmmos.connectors.sandbox.ext.base import Answer, Call, route, state, touch

if TYPE_CHECKING:
    from kosmmos.connectors.sandbox.server import Network

NAME = "ord"
KINDS = {"person", "contract", "pad", "creative", "invoice", "media"}
KKTU = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}$")
DEFAULTS: dict[str, Any] = {"latency_ms": [0, 0], "error_rate": 0.0, "lost_rate": 0.0,
                            "bad_rate": 0.0, "verify_after_s": 2.0, "hang_s": 1.0}


def _fresh() -> dict[str, Any]:
    return {"config": dict(DEFAULTS), "objects": {k: {} for k in KINDS}, "statistics": {},
            "writes": 0}


class Reply(Exception):
    """A refusal, answered as it is (the server's own ``Reply`` is not imported: the server
    imports the extensions)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _erid(external_id: str) -> str:
    digest = hashlib.blake2b(external_id.encode(), digest_size=10).digest()
    return "2Vfnx" + base64.b32encode(digest).decode().rstrip("=").lower()[:12]


@route(NAME)
async def handle(call: Call) -> Answer:
    try:
        return await _handle(call)
    except Reply as refusal:
        return refusal.status, refusal.body, []


async def _handle(call: Call) -> Answer:
    ord_ = state(call.net, NAME, _fresh)
    config = ord_["config"]
    parts, method = call.parts, call.method
    if parts == ["_config"]:
        if method == "PUT":
            config.update({k: v for k, v in (await call.body()).items() if k in DEFAULTS})
            touch(call.net, NAME)
        return 200, config, []
    if parts == ["_summary"]:
        return 200, _summary(ord_), []
    if parts == ["_objects"]:
        kind = call.query.get("kind", "creative")
        return 200, ord_["objects"].get(kind, {}) if kind != "statistics" else ord_["statistics"], []
    if not call.header("authorization").startswith("Bearer ") or len(call.header(
            "authorization")) < 9:
        raise Reply(401, {"error": "Unauthorized"})
    low, high = config["latency_ms"]
    if high > 0:
        await asyncio.sleep(call.net.rng.uniform(float(low), float(high)) / 1000)
    if method == "GET":
        return _read(call.net, ord_, parts)
    if call.net.rng.random() < float(config["error_rate"]):
        raise Reply(500, {"error": "Internal Server Error"})
    answer = await _write(call, ord_, parts)
    ord_["writes"] += 1
    touch(call.net, NAME)
    await call.app.maybe_lose_answer(call.net, {"ambiguous_rate": config["lost_rate"],
                                                "hang_s": config["hang_s"]}, call.send)
    return answer


def _status(net: Network, ord_: dict[str, Any], obj: dict[str, Any], key: str) -> dict[str, Any]:
    config = ord_["config"]
    if time.time() - float(obj.get("_at", 0)) < float(config["verify_after_s"]):
        return {"erir_status": "processing"}
    if _unit(net.seed, "bad", key, obj.get("_version", 1)) < float(config["bad_rate"]):
        return {"erir_status": "bad",
                "message": "ЕРИР: ИНН контрагента не найден в ЕГРЮЛ/ЕГРИП (проверка ФНС)."}
    return {"erir_status": "verified"}


def _read(net: Network, ord_: dict[str, Any], parts: list[str]) -> Answer:
    objects = ord_["objects"]
    if len(parts) == 4 and parts[3] == "erir_status" and parts[1] in objects:
        found = objects[parts[1]].get(parts[2])
        if found is None:
            raise Reply(404, {"error": "Not found", "external_id": parts[2]})
        return 200, _status(net, ord_, found, f"{parts[1]}:{parts[2]}"), []
    if parts[:2] == ["v3", "statistics"] and parts[2:] == ["list"]:
        return 200, {"items": list(ord_["statistics"].values())}, []
    if len(parts) == 3 and parts[1] in objects:
        found = objects[parts[1]].get(parts[2])
        if found is None:
            raise Reply(404, {"error": "Not found", "external_id": parts[2]})
        return 200, {k: v for k, v in found.items() if not k.startswith("_")}, []
    if len(parts) == 2 and parts[1] in objects:
        ids = sorted(objects[parts[1]])
        return 200, {"external_ids": ids, "total_items_count": len(ids), "limit": len(ids)}, []
    raise Reply(404, {"error": "Not found"})


def _need(data: dict[str, Any], *fields: str) -> None:
    missing = [f for f in fields if data.get(f) in (None, "", [])]
    if missing:
        raise Reply(400, {"error": f"Required fields missing: {', '.join(missing)}"})


def _exists(ord_: dict[str, Any], kind: str, external_id: Any) -> None:
    if str(external_id) not in ord_["objects"][kind]:
        raise Reply(404, {"error": f"{kind} not found", "external_id": str(external_id)})


def _store(ord_: dict[str, Any], kind: str, external_id: str, data: dict[str, Any]) -> dict[
        str, Any]:
    old = ord_["objects"][kind].get(external_id, {})
    stored = {**data, "_at": time.time(), "_version": int(old.get("_version", 0)) + 1}
    ord_["objects"][kind][external_id] = stored
    return stored


async def _write(call: Call, ord_: dict[str, Any], parts: list[str]) -> Answer:
    method = call.method
    if len(parts) == 3 and parts[1] == "media" and method == "PUT":
        if parts[2] in ord_["objects"]["media"]:
            raise Reply(409, {"error": "Media with this external_id already exists",
                              "external_id": parts[2]})
        body = b""
        while True:  # the multipart body, read whole (not parsed: its hash is what is kept)
            message = await call.receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        digest = hashlib.sha256(body).hexdigest()
        _store(ord_, "media", parts[2], {"sha256": digest, "size": len(body)})
        return 200, {"sha256": digest}, []
    data = await call.body()
    if len(parts) == 3 and method == "PUT" and parts[1] == "person":
        _need(data, "name", "roles", "juridical_details")
        inn = str((data.get("juridical_details") or {}).get("inn", ""))
        for other_id, other in ord_["objects"]["person"].items():
            if other_id != parts[2] and inn and str(
                    (other.get("juridical_details") or {}).get("inn", "")) == inn:
                raise Reply(409, {"error": "Person with this INN already exists",
                                  "external_id": other_id})
        _store(ord_, "person", parts[2], data)
        return 200, {}, []
    if len(parts) == 3 and method == "PUT" and parts[1] == "contract":
        _need(data, "type", "client_external_id", "contractor_external_id", "date")
        _exists(ord_, "person", data["client_external_id"])
        _exists(ord_, "person", data["contractor_external_id"])
        if data.get("parent_contract_external_id"):
            _exists(ord_, "contract", data["parent_contract_external_id"])
        _store(ord_, "contract", parts[2], data)
        return 200, {}, []
    if len(parts) == 3 and method == "PUT" and parts[1] == "pad":
        _need(data, "person_external_id", "type", "name")
        _exists(ord_, "person", data["person_external_id"])
        _store(ord_, "pad", parts[2], data)
        return 200, {}, []
    if len(parts) == 3 and method == "PUT" and parts[1] == "creative":
        _need(data, "kktus", "form")
        if not all(KKTU.match(str(k)) for k in data["kktus"]):
            raise Reply(400, {"error": "kktus: expected codes like 1.1.1"})
        refs = [bool(data.get("contract_external_ids")), bool(data.get("person_external_id")),
                bool(data.get("cids"))]
        if sum(refs) != 1:
            raise Reply(400, {"error": "Exactly one of contract_external_ids, person_external_id,"
                                       " cids is required"})
        for contract in data.get("contract_external_ids") or []:
            _exists(ord_, "contract", contract)
        for media in data.get("media_external_ids") or []:
            _exists(ord_, "media", media)
        erid = _erid(parts[2])
        _store(ord_, "creative", parts[2], {**data, "erid": erid})
        return 200, {"erid": erid}, []
    if parts == ["v3", "statistics"] and method == "POST":
        items = data.get("items")
        if not isinstance(items, list) or not items:
            raise Reply(400, {"error": "items required"})
        errors = []
        for index, item in enumerate(items):
            missing = [f for f in ("external_id", "creative_external_id", "pad_external_id",
                                   "shows_count", "date_start_actual", "date_end_actual")
                       if item.get(f) in (None, "")]
            if missing:
                errors.append({"error": f"Required fields missing: {', '.join(missing)}",
                               "index": index})
            elif str(item["creative_external_id"]) not in ord_["objects"]["creative"] or str(
                    item["pad_external_id"]) not in ord_["objects"]["pad"]:
                errors.append({"error": "creative or pad not found", "index": index})
        if errors:
            raise Reply(400, errors)
        for item in items:
            ord_["statistics"][str(item["external_id"])] = {**item, "_at": time.time()}
        return 200, {"items": [{"external_id": i["external_id"]} for i in items]}, []
    if len(parts) == 3 and parts[:2] == ["v4", "invoice"] and method == "PUT":
        _need(data, "contract_external_id", "date", "date_start", "date_end", "amount")
        _exists(ord_, "contract", data["contract_external_id"])
        draft = call.query.get("draft") == "true"
        _store(ord_, "invoice", parts[2], {**data, "status": "draft" if draft else "ready"})
        return 200, {}, []
    if len(parts) == 4 and parts[:2] == ["v4", "invoice"] and parts[3] == "ready":
        _exists(ord_, "invoice", parts[2])
        ord_["objects"]["invoice"][parts[2]]["status"] = "ready"
        ord_["objects"]["invoice"][parts[2]]["_at"] = time.time()
        return 200, {}, []
    raise Reply(404, {"error": "Not found"})


def _summary(ord_: dict[str, Any]) -> dict[str, Any]:
    periods: dict[tuple[str, str, str, str], int] = {}
    for row in ord_["statistics"].values():
        key = (str(row.get("creative_external_id")), str(row.get("pad_external_id")),
               str(row.get("date_start_actual")), str(row.get("date_end_actual")))
        periods[key] = periods.get(key, 0) + 1
    texts: dict[str, int] = {}
    for creative in ord_["objects"]["creative"].values():
        text = "\n".join(map(str, creative.get("texts") or []))
        texts[text] = texts.get(text, 0) + 1
    counts = {k: len(v) for k, v in ord_["objects"].items()}
    return {**counts, "statistics": len(ord_["statistics"]), "writes": ord_["writes"],
            "duplicate_statistics": sum(n - 1 for n in periods.values()),
            "duplicate_creatives": sum(n - 1 for k, n in texts.items() if k)}
