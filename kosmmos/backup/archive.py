"""One archive holding everything Kosmmos keeps, made while it runs, and its careful restore.

Embedded set-up: each SQLite database (the app database, the click event store) is copied with
SQLite's online backup API — a consistent snapshot while the web server and the workers keep
writing — then the media store, the click spool not yet flushed, and the secret key file. Scale
set-up: ``pg_dump`` of the one PostgreSQL database (the click tables are in it) taken in an
exported snapshot, so the manifest's row counts and checksums describe exactly what was dumped.

The archive is a ``.tar.gz`` with ``manifest.json`` first: format, versions, the migrations
applied, the key's fingerprint, every member's SHA-256 and size, and every table's row count and
checksum. :func:`restore` checks all of it in a staging folder and only then moves the files into
place; a damaged or mismatched archive is refused and the target is left as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

import django
from django.conf import settings

from kosmmos.lib.crypto import key_fingerprint

FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class BackupError(Exception):
    """The backup could not be made."""


class RestoreRefused(Exception):
    """The archive is damaged, does not match this installation, or the target is not empty.
    Nothing was changed."""


# --- What is backed up ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where this installation keeps each store (from the settings)."""

    var: Path
    app_db: Path | None  # None: PostgreSQL
    events_db: Path | None  # None: the click tables are in PostgreSQL
    media: Path
    spool: Path
    secret_key: Path
    database_url: str

    @classmethod
    def from_settings(cls) -> Layout:
        default = settings.DATABASES["default"]
        sqlite_app = default["ENGINE"].endswith("sqlite3")
        sqlite_events = settings.LINKS_EVENTS_BACKEND == "sqlite"
        return cls(
            var=Path(settings.VAR_DIR), app_db=Path(default["NAME"]) if sqlite_app else None,
            events_db=Path(settings.LINKS_EVENTS_PATH) if sqlite_events else None,
            media=Path(settings.MEDIA_ROOT), spool=Path(settings.LINKS_SPOOL_DIR),
            secret_key=Path(settings.VAR_DIR) / "secret_key",
            database_url=getattr(settings, "DATABASE_URL", "") or "",
        )

    @property
    def backend(self) -> str:
        return "sqlite" if self.app_db is not None else "postgres"

    def databases(self) -> dict[str, Path]:
        found = {"app": self.app_db, "events": self.events_db}
        return {name: path for name, path in found.items() if path is not None}


def _version() -> str:
    try:
        return metadata.version("kosmmos")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


# --- Table checksums -------------------------------------------------------------------------


def sqlite_tables(path: Path) -> dict[str, dict[str, Any]]:
    """Every table's row count and an order-independent checksum of its rows."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        result: dict[str, dict[str, Any]] = {}
        for name in names:
            rows, total = 0, 0
            for row in conn.execute(f'SELECT * FROM "{name}"'):  # noqa: S608 (names from the schema)
                digest = hashlib.blake2b(repr(row).encode(), digest_size=16).digest()
                total = (total + int.from_bytes(digest, "big")) % (1 << 128)
                rows += 1
            result[name] = {"rows": rows, "checksum": f"{total:032x}"}
        return result
    finally:
        conn.close()


def postgres_tables(cursor: Any) -> dict[str, dict[str, Any]]:
    """The same for the public schema of a PostgreSQL database, computed in the server."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    result: dict[str, dict[str, Any]] = {}
    for (name,) in cursor.fetchall():
        cursor.execute(
            f'SELECT count(*), coalesce(md5(string_agg(h, \'\' ORDER BY h)), \'\') '  # noqa: S608
            f'FROM (SELECT md5(t::text) AS h FROM "{name}" t) s')
        rows, checksum = cursor.fetchone()
        result[name] = {"rows": int(rows), "checksum": checksum}
    return result


def _sqlite_migrations(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _group(conn.execute("SELECT app, name FROM django_migrations").fetchall())
    except sqlite3.Error:
        return {}
    finally:
        conn.close()


def _group(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for app, name in rows:
        grouped.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(grouped.items())}


# --- Backup ----------------------------------------------------------------------------------


def _snapshot_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while other connections keep writing.

    All pages in one step, i.e. inside one read transaction: in WAL mode writers carry on
    meanwhile, whereas a backup in several steps restarts whenever another connection writes
    (and never ends on a busy database)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def _pg_dump(url: str, target: Path) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """``pg_dump`` in an exported snapshot; the tables and migrations are read in the same one."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        done = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
             f"--file={target}", f"--dbname={url}"],
            capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        with conn.cursor() as cursor:
            tables = postgres_tables(cursor)
            cursor.execute("SELECT app, name FROM django_migrations")
            migrations = _group(cursor.fetchall())
        conn.execute("COMMIT")
    return tables, migrations


def make_backup(to: Path, *, layout: Layout | None = None, include_keys: bool = True) -> Path:
    """Write one archive into the folder ``to`` and return its path."""
    layout = layout or Layout.from_settings()
    to.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    name = f"kosmmos-backup-{created:%Y%m%d-%H%M%S-%f}.tar.gz"
    manifest: dict[str, Any] = {
        "format": FORMAT, "created_at": created.isoformat(), "backend": layout.backend,
        "versions": {"kosmmos": _version(), "django": django.get_version(),
                     "python": platform.python_version(), "sqlite": sqlite3.sqlite_version},
        "key_fingerprint": key_fingerprint(), "keys_included": False,
        "tables": {}, "migrations": {}, "files": {},
    }
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=to) as staging_dir:
        staging = Path(staging_dir)
        members: list[tuple[str, Path]] = []
        if layout.backend == "postgres":
            dump = staging / "app.pgdump"
            manifest["tables"]["app"], manifest["migrations"] = _pg_dump(layout.database_url, dump)
            members.append(("db/app.pgdump", dump))
        for db_name, path in layout.databases().items():
            if not path.exists():
                continue
            copy = staging / f"{db_name}.sqlite3"
            _snapshot_sqlite(path, copy)
            manifest["tables"][db_name] = sqlite_tables(copy)
            if db_name == "app":
                manifest["migrations"] = _sqlite_migrations(copy)
            members.append((f"db/{db_name}.sqlite3", copy))
        for prefix, root in (("media", layout.media), ("spool", layout.spool)):
            for path in _files_under(root):
                members.append((f"{prefix}/{path.relative_to(root).as_posix()}", path))
        if include_keys and layout.secret_key.is_file() and not os.environ.get("SECRET_KEY"):
            members.append(("keys/secret_key", layout.secret_key))
            manifest["keys_included"] = True
        for arcname, path in members:
            # A media file deleted while we copy is simply not in this backup.
            if path.exists():
                manifest["files"][arcname] = {"sha256": sha256_file(path),
                                              "bytes": path.stat().st_size}
        partial = staging / name
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(created.timestamp())
            with tempfile.TemporaryFile() as handle:
                handle.write(data)
                handle.seek(0)
                tar.addfile(info, handle)
            for arcname, path in members:
                if arcname in manifest["files"]:
                    tar.add(path, arcname=arcname, recursive=False)
        final = to / name
        os.replace(partial, final)  # a half-written archive is never seen under its name
    return final


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in ``folder``; returns what was deleted."""
    archives = sorted(folder.glob("kosmmos-backup-*.tar.gz"), key=lambda p: p.name, reverse=True)
    gone = archives[max(keep, 1):]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


# --- Reading and checking an archive ---------------------------------------------------------


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:*") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST:
                raise RestoreRefused(f"{archive.name} is not a Kosmmos backup (no manifest first)")
            handle = tar.extractfile(member)
            assert handle is not None
            return dict(json.loads(handle.read()))
    except (tarfile.TarError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise RestoreRefused(f"the archive is damaged: {exc}") from exc


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and len(path.parts) >= 2


def _extract_checked(archive: Path, manifest: dict[str, Any], staging: Path) -> None:
    """Unpack into ``staging``, each member's hash checked against the manifest."""
    expected: dict[str, dict[str, Any]] = manifest.get("files", {})
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                if not member.isfile() or not _safe_name(member.name) or member.name not in expected:
                    raise RestoreRefused(f"the archive holds an unexpected entry: {member.name}")
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != expected[member.name]["sha256"]:
                    raise RestoreRefused(f"the archive is damaged: {member.name} does not match "
                                         "its checksum")
                seen.add(member.name)
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise RestoreRefused(f"the archive is damaged: {exc}") from exc
    missing = sorted(set(expected) - seen)
    if missing:
        raise RestoreRefused(f"the archive is damaged: {len(missing)} file(s) missing, "
                             f"first {missing[0]}")


def _known_migrations() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _check_compatible(manifest: dict[str, Any], layout: Layout) -> None:
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(f"archive format {manifest.get('format')} is not {FORMAT}: restore it "
                             "with the Kosmmos version that made it")
    if manifest.get("backend") != layout.backend:
        raise RestoreRefused(f"the archive is of the {manifest.get('backend')} set-up; this one "
                             f"runs on {layout.backend}")
    known = _known_migrations()
    unknown = sorted(f"{app}.{name}" for app, names in manifest.get("migrations", {}).items()
                     for name in names if (app, name) not in known)
    if unknown:
        version = manifest.get("versions", {}).get("kosmmos", "?")
        raise RestoreRefused(f"the archive was made by a newer Kosmmos ({version}): migration "
                             f"{unknown[0]} is unknown here; install that version first")


def _check_keys(manifest: dict[str, Any], staging: Path) -> None:
    secret = os.environ.get("SECRET_KEY") or ""
    if not secret:
        kept = staging / "keys" / "secret_key"
        secret = kept.read_text(encoding="utf-8").strip() if kept.exists() else settings.SECRET_KEY
    if key_fingerprint(secret=secret) != manifest.get("key_fingerprint"):
        raise RestoreRefused("the encryption key differs from the one this backup's tokens were "
                             "encrypted with: set SECRET_KEY (or KOSMMOS_ENCRYPTION_KEY) to the "
                             "keys kept with this backup, then restore again")


def _check_tables(manifest: dict[str, Any], staging: Path) -> int:
    checked = 0
    for db_name, tables in manifest.get("tables", {}).items():
        path = staging / "db" / f"{db_name}.sqlite3"
        if not path.exists():
            continue
        conn = sqlite3.connect(path)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        if ok != "ok":
            raise RestoreRefused(f"the archive is damaged: {db_name} database: {ok}")
        # The file matched its SHA-256, so its rows are the ones checksummed at backup time;
        # the counts catch a manifest that does not describe this file.
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for table, expected in tables.items():
                try:
                    rows = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
                except sqlite3.Error:
                    rows = None
                if rows != expected["rows"]:
                    raise RestoreRefused(f"the archive is damaged: table {table} differs from "
                                         "the manifest")
                checked += rows
        finally:
            conn.close()
    return checked


def target_problems(layout: Layout) -> list[str]:
    """Why ``layout`` is not an empty place to restore into (empty list: it is)."""
    problems = []
    for path in layout.databases().values():
        if path.exists() and path.stat().st_size > 0:
            problems.append(f"{path} exists")
    if any(True for _ in _files_under(layout.media)):
        problems.append(f"{layout.media} holds files")
    if layout.backend == "postgres":
        import psycopg

        with psycopg.connect(layout.database_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
            if row and row[0]:
                problems.append("the PostgreSQL database already has tables")
    return problems


@dataclass(frozen=True)
class Restored:
    files: int
    rows_checked: int
    manifest: dict[str, Any]


def restore(archive: Path, *, layout: Layout | None = None) -> Restored:
    """Restore ``archive`` into this installation's empty stores, or refuse and change nothing."""
    layout = layout or Layout.from_settings()
    if not archive.is_file():
        raise RestoreRefused(f"{archive} does not exist")
    manifest = read_manifest(archive)
    _check_compatible(manifest, layout)
    problems = target_problems(layout)
    if problems:
        raise RestoreRefused("restore only goes into an empty installation: "
                             + "; ".join(problems))
    layout.var.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=layout.var) as staging_dir:
        staging = Path(staging_dir)
        _extract_checked(archive, manifest, staging)
        _check_keys(manifest, staging)
        rows = _check_tables(manifest, staging)
        if layout.backend == "postgres":
            rows = _pg_restore(staging / "db" / "app.pgdump", layout.database_url, manifest)
        # Everything checked: move into place (renames within one file system).
        places = {"db/app.sqlite3": layout.app_db, "db/events.sqlite3": layout.events_db,
                  "keys/secret_key": layout.secret_key}
        for name in manifest["files"]:
            prefix, _, rest = name.partition("/")
            if name in places:
                target = places[name]
            elif prefix == "media":
                target = layout.media / rest
            elif prefix == "spool":
                target = layout.spool / rest
            else:
                continue  # the PostgreSQL dump: already restored
            assert target is not None
            target.parent.mkdir(parents=True, exist_ok=True)
            for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
                stale.unlink(missing_ok=True)
            shutil.move(staging / name, target)
        if layout.secret_key.exists():
            layout.secret_key.chmod(0o600)
    return Restored(files=len(manifest["files"]), rows_checked=rows, manifest=manifest)


def _pg_restore(dump: Path, url: str, manifest: dict[str, Any]) -> int:
    """``pg_restore`` in one transaction (all or nothing), then the tables compared."""
    import psycopg

    done = subprocess.run(
        ["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error",
         f"--dbname={url}", str(dump)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RestoreRefused(f"pg_restore failed (nothing was written): {done.stderr.strip()}")
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        found = postgres_tables(cursor)
    expected = manifest["tables"].get("app", {})
    bad = sorted(t for t, v in expected.items() if found.get(t) != v)
    if bad:
        raise RestoreRefused(f"the restored database differs from the manifest in {bad[0]}; "
                             "drop it and restore again")
    return sum(v["rows"] for v in expected.values())
