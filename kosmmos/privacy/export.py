"""An organisation's whole data as one archive (ZIP): JSON and CSV per table, its files, its clicks.

``data/<app>.<model>.json`` and ``csv/<app>.<model>.csv`` hold every row of every table the
organisation owns (``owned_models``), the organisation and its audit log included; secrets are
left out (encrypted tokens, hashes, the postback secret: a column whose name says so).
``files/`` holds every stored file those rows point at (media, imports, proposal PDFs);
``clicks.csv`` the raw clicks of its workspaces from the click event store. Made by a job
(``tasks.export_organisation``) that counts ``done`` of ``total`` parts as it goes.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from kosmmos.accounts.models import Organisation, Workspace
from kosmmos.audit.models import Event
from kosmmos.links.events import get_store
from kosmmos.privacy.actions import owned_models
from kosmmos.privacy.models import OrganisationExport

SECRET_WORDS = ("encrypted", "secret", "password", "hash")
CLICK_PAGE = 5000


def export_dir() -> Path:
    return Path(settings.VAR_DIR) / "exports"


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields
            if not isinstance(f, models.BinaryField)
            and not any(w in f.attname for w in SECRET_WORDS)]


def _tables(organisation: Organisation) -> list[tuple[str, models.QuerySet[Any]]]:
    tables: list[tuple[str, models.QuerySet[Any]]] = [
        ("accounts.organisation", Organisation.objects.filter(pk=organisation.pk)),
        ("audit.event", Event.objects.filter(organisation=organisation)),
    ]
    for model, path in owned_models():
        tables.append((model._meta.label_lower,
                       model._default_manager.filter(**{path: organisation}).order_by("pk")))
    return tables


def _json_value(value: Any) -> Any:
    return value.name if isinstance(value, models.fields.files.FieldFile) else value


def _write_table(zf: zipfile.ZipFile, name: str, rows: models.QuerySet[Any],
                 files: set[str]) -> int:
    columns = _columns(rows.model)
    names = [f.attname for f in columns]
    file_columns = [f.attname for f in columns if isinstance(f, models.FileField)]
    count = 0
    with zf.open(f"data/{name}.json", "w") as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8")
        out.write("[")
        for obj in rows.iterator(chunk_size=2000):
            row = {n: _json_value(getattr(obj, n)) for n in names}
            files.update(row[c] for c in file_columns if row[c])
            out.write(("," if count else "") + "\n" + json.dumps(row, cls=DjangoJSONEncoder,
                                                                  ensure_ascii=False))
            count += 1
        out.write("\n]\n")
        out.flush()
        out.detach()
    with zf.open(f"csv/{name}.csv", "w") as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(out)
        writer.writerow(names)
        for values in rows.values_list(*[f.attname for f in columns]).iterator(chunk_size=2000):
            writer.writerow([json.dumps(v, cls=DjangoJSONEncoder, ensure_ascii=False)
                             if isinstance(v, dict | list) else v for v in values])
        out.flush()
        out.detach()
    return count


def _clicks(organisation: Organisation) -> Iterator[list[Any]]:
    store = get_store()
    for workspace in Workspace.objects.filter(organisation=organisation).values_list("pk", flat=True):
        offset = 0
        while True:
            page = store.clicks(workspace, 0, 2**62, include_bots=True, limit=CLICK_PAGE,
                                offset=offset)
            for c in page:
                yield [c.workspace_id, c.ts_ms, c.click_id, c.link_id, c.referrer, c.ua_class,
                       c.device, int(c.is_bot)]
            if len(page) < CLICK_PAGE:
                break
            offset += CLICK_PAGE


def make_export(export: OrganisationExport) -> Path:
    """Write the archive (to a temporary name, renamed when whole) and count progress."""
    organisation = export.organisation
    tables = _tables(organisation)
    OrganisationExport.objects.filter(pk=export.pk).update(total=len(tables) + 2, done=0)
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{export.pk}.zip"
    part = final.with_suffix(".part")
    files: set[str] = set()
    counts: dict[str, int] = {}
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for done, (name, rows) in enumerate(tables, start=1):
            counts[name] = _write_table(zf, name, rows, files)
            OrganisationExport.objects.filter(pk=export.pk).update(done=done)
        with zf.open("clicks.csv", "w") as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(out)
            writer.writerow(["workspace_id", "ts_ms", "click_id", "link_id", "referrer",
                             "ua_class", "device", "is_bot"])
            counts["clicks"] = 0
            for row in _clicks(organisation):
                writer.writerow(row)
                counts["clicks"] += 1
            out.flush()
            out.detach()
        OrganisationExport.objects.filter(pk=export.pk).update(done=len(tables) + 1)
        missing = []
        for name in sorted(files):
            if ".." in Path(name).parts or not default_storage.exists(name):
                missing.append(name)
                continue
            with default_storage.open(name, "rb") as source, zf.open(f"files/{name}", "w") as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
        zf.writestr("manifest.json", json.dumps({
            "organisation": str(organisation.pk), "name": organisation.name,
            "rows": counts, "files": len(files) - len(missing), "missing_files": missing,
        }, ensure_ascii=False, indent=1))
    part.replace(final)
    OrganisationExport.objects.filter(pk=export.pk).update(done=len(tables) + 2)
    return final
