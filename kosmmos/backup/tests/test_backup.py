"""Backup and restore at the archive level: stores built in a temp folder, no Django database."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from django.conf import settings

from kosmmos.backup.archive import Layout, RestoreRefused, make_backup, read_manifest, restore
from kosmmos.lib.crypto import key_fingerprint


def make_layout(root: Path) -> Layout:
    var = root / "var"
    return Layout(var=var, app_db=var / "kosmmos.sqlite3", events_db=var / "events.sqlite3",
                  media=var / "uploads", spool=var / "clicks-spool", secret_key=var / "secret_key",
                  database_url="")


def populate(layout: Layout, rows: int = 200) -> None:
    layout.var.mkdir(parents=True)
    app = sqlite3.connect(layout.app_db)  # type: ignore[arg-type]
    app.executescript("""
        PRAGMA journal_mode=WAL;
        CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT, applied TEXT);
        INSERT INTO django_migrations (app, name, applied) VALUES ('accounts', '0001_initial', '');
        CREATE TABLE lead (id INTEGER PRIMARY KEY, email TEXT, note BLOB, amount REAL);
    """)
    app.executemany("INSERT INTO lead (email, note, amount) VALUES (?, ?, ?)",
                    [(f"p{n}@example.ru", bytes([n % 256]) * 3, n / 7) for n in range(rows)])
    app.commit()
    app.close()
    events = sqlite3.connect(layout.events_db)  # type: ignore[arg-type]
    events.execute("CREATE TABLE links_click (ts INTEGER, click_id TEXT, PRIMARY KEY (ts, click_id))"
                   " WITHOUT ROWID")
    events.executemany("INSERT INTO links_click VALUES (?, ?)", [(n, f"c{n}") for n in range(50)])
    events.commit()
    events.close()
    (layout.media / "org" / "2026").mkdir(parents=True)
    (layout.media / "org" / "2026" / "photo.jpg").write_bytes(os.urandom(5000))
    layout.spool.mkdir()
    (layout.spool / "segment-1.log").write_text("click\n")
    layout.secret_key.write_text(settings.SECRET_KEY)


def snapshot(layout: Layout) -> dict[str, object]:
    """What a restore must reproduce: every row of both databases and every file's bytes."""
    found: dict[str, object] = {}
    for name, path in layout.databases().items():
        conn = sqlite3.connect(path)
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found[name] = {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall())  # noqa: S608
                       for t in tables}
        conn.close()
    for root in (layout.media, layout.spool):
        for path in sorted(root.rglob("*")):
            if path.is_file():
                found[str(path.relative_to(layout.var))] = path.read_bytes()
    found["key"] = layout.secret_key.read_text()
    return found


def var_files(layout: Layout) -> list[str]:
    if not layout.var.exists():
        return []
    return sorted(str(p.relative_to(layout.var)) for p in layout.var.rglob("*"))


def test_it_restores_every_row_file_and_the_key_into_an_empty_var(tmp_path: Path) -> None:
    source, target = make_layout(tmp_path / "a"), make_layout(tmp_path / "b")
    populate(source)

    archive = make_backup(tmp_path / "backups", layout=source)
    done = restore(archive, layout=target)

    assert snapshot(target) == snapshot(source)
    assert done.rows_checked == 200 + 1 + 50
    manifest = read_manifest(archive)
    assert manifest["tables"]["app"]["lead"]["rows"] == 200
    assert manifest["migrations"] == {"accounts": ["0001_initial"]}
    assert manifest["keys_included"] is True
    assert manifest["key_fingerprint"] == key_fingerprint()
    assert sorted(manifest["files"]) == [
        "db/app.sqlite3", "db/events.sqlite3", "keys/secret_key", "media/org/2026/photo.jpg",
        "spool/segment-1.log"]
    assert not list(target.var.glob(".restore-*"))


def test_it_takes_a_consistent_snapshot_while_another_connection_keeps_writing(
    tmp_path: Path,
) -> None:
    source, target = make_layout(tmp_path / "a"), make_layout(tmp_path / "b")
    populate(source, rows=20_000)
    stop = threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(source.app_db, timeout=30)  # type: ignore[arg-type]
        while not stop.is_set():
            conn.execute("INSERT INTO lead (email) VALUES ('late@example.ru')")
            conn.commit()
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        archive = make_backup(tmp_path / "backups", layout=source)
    finally:
        stop.set()
        thread.join()

    # The restore re-counts and re-checksums every table against the manifest.
    done = restore(archive, layout=target)
    assert done.rows_checked >= 20_000 + 51


def test_it_refuses_a_damaged_archive_and_changes_nothing(tmp_path: Path) -> None:
    source, target = make_layout(tmp_path / "a"), make_layout(tmp_path / "b")
    populate(source)
    archive = make_backup(tmp_path / "backups", layout=source)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))

    with pytest.raises(RestoreRefused, match="damaged"):
        restore(archive, layout=target)

    assert var_files(target) == []


def test_it_refuses_an_archive_whose_file_no_longer_matches_its_checksum(tmp_path: Path) -> None:
    source, target = make_layout(tmp_path / "a"), make_layout(tmp_path / "b")
    populate(source)
    archive = make_backup(tmp_path / "backups", layout=source)
    # A well-formed archive with one media file replaced but the old manifest.
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "media" / "org" / "2026" / "photo.jpg").write_bytes(b"swapped")
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(forged, "w:gz") as tar:
        tar.add(unpacked / "manifest.json", arcname="manifest.json")
        for name in json.loads((unpacked / "manifest.json").read_text())["files"]:
            tar.add(unpacked / name, arcname=name)

    with pytest.raises(RestoreRefused, match=r"photo\.jpg does not match its checksum"):
        restore(forged, layout=target)

    assert var_files(target) == []


def test_it_refuses_an_archive_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(gzip.compress(b"not a tar at all" * 100))

    with pytest.raises(RestoreRefused, match="damaged"):
        restore(junk, layout=make_layout(tmp_path / "b"))


def test_it_refuses_an_archive_from_a_newer_kosmmos(tmp_path: Path) -> None:
    source, target = make_layout(tmp_path / "a"), make_layout(tmp_path / "b")
    populate(source)
    app = sqlite3.connect(source.app_db)  # type: ignore[arg-type]
    app.execute("INSERT INTO django_migrations (app, name) VALUES ('accounts', '9999_future')")
    app.commit()
    app.close()
    archive = make_backup(tmp_path / "backups", layout=source)

    with pytest.raises(RestoreRefused, match=r"newer Kosmmos.*accounts\.9999_future"):
        restore(archive, layout=target)

    assert var_files(target) == []


def test_it_refuses_to_restore_over_existing_data(tmp_path: Path) -> None:
    source = make_layout(tmp_path / "a")
    populate(source)
    archive = make_backup(tmp_path / "backups", layout=source)
    before = snapshot(source)

    with pytest.raises(RestoreRefused, match="empty installation"):
        restore(archive, layout=source)

    assert snapshot(source) == before


def test_it_refuses_when_the_key_differs_from_the_backups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, target = make_layout(tmp_path / "a"), make_layout(tmp_path / "b")
    populate(source)
    archive = make_backup(tmp_path / "backups", layout=source, include_keys=False)
    monkeypatch.setenv("SECRET_KEY", "another-installation-entirely")

    with pytest.raises(RestoreRefused, match="encryption key differs"):
        restore(archive, layout=target)

    assert var_files(target) == []
    assert read_manifest(archive)["keys_included"] is False


def test_it_backs_up_and_restores_with_the_commands(tmp_path: Path) -> None:
    """The real thing: `kosmmos migrate`, `kosmmos backup`, `kosmmos restore` in a fresh var/."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL",
                                                             "SECRET_KEY"}}

    def kosmmos(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kosmmos.cli", *args], text=True,
                              capture_output=True, env={**env, "KOSMMOS_VAR": str(var)},
                              check=False)

    assert kosmmos(tmp_path / "a", "migrate", "--noinput").returncode == 0
    made = kosmmos(tmp_path / "a", "backup", "--to", str(tmp_path / "out"))
    assert made.returncode == 0, made.stderr
    archive = next((tmp_path / "out").glob("kosmmos-backup-*.tar.gz"))

    again = kosmmos(tmp_path / "a", "restore", str(archive))
    fresh = kosmmos(tmp_path / "b", "restore", str(archive))

    assert again.returncode != 0
    assert "restore refused, nothing was changed" in again.stderr
    assert fresh.returncode == 0, fresh.stderr
    assert (tmp_path / "b" / "secret_key").read_text() == (tmp_path / "a" / "secret_key").read_text()
    assert kosmmos(tmp_path / "b", "migrate", "--check").returncode == 0


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="needs DATABASE_URL (PostgreSQL)")
def test_it_backs_up_and_restores_postgres_with_pg_dump(tmp_path: Path) -> None:
    import psycopg
    from psycopg import sql

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    names = ("kosmmos_datasafety", "kosmmos_datasafety_restored")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    source_url, target_url = (f"{base}/{name}" for name in names)
    try:
        with psycopg.connect(source_url) as conn:
            conn.execute("CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, "
                         "name text)")
            conn.execute("INSERT INTO django_migrations (app, name) VALUES "
                         "('accounts', '0001_initial')")
            conn.execute("CREATE TABLE lead (id serial PRIMARY KEY, email text, amount numeric)")
            conn.execute("INSERT INTO lead (email, amount) SELECT 'p' || n || '@example.ru', "
                         "n / 7.0 FROM generate_series(1, 500) n")
        source = Layout(var=tmp_path / "a", app_db=None, events_db=None,
                        media=tmp_path / "a" / "uploads", spool=tmp_path / "a" / "spool",
                        secret_key=tmp_path / "a" / "secret_key", database_url=source_url)
        target = Layout(var=tmp_path / "b", app_db=None, events_db=None,
                        media=tmp_path / "b" / "uploads", spool=tmp_path / "b" / "spool",
                        secret_key=tmp_path / "b" / "secret_key", database_url=target_url)
        (source.media / "x").mkdir(parents=True)
        (source.media / "x" / "logo.png").write_bytes(b"\x89PNG...")
        source.secret_key.write_text(settings.SECRET_KEY)

        archive = make_backup(tmp_path / "backups", layout=source)
        done = restore(archive, layout=target)
        with pytest.raises(RestoreRefused) as again:
            restore(archive, layout=target)

        assert done.rows_checked == 501
        assert "already has tables" in str(again.value)
        assert (target.media / "x" / "logo.png").read_bytes() == b"\x89PNG..."
        with psycopg.connect(target_url) as conn:
            assert conn.execute("SELECT count(*), sum(amount) FROM lead").fetchone() == (
                500, conn.execute("SELECT sum(n / 7.0) FROM generate_series(1, 500) n"
                                  ).fetchone()[0])  # type: ignore[index]
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))


def test_it_refuses_a_manifest_that_does_not_describe_its_database(tmp_path: Path) -> None:
    source, target = make_layout(tmp_path / "a"), make_layout(tmp_path / "b")
    populate(source)
    archive = make_backup(tmp_path / "backups", layout=source)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    manifest = json.loads((unpacked / "manifest.json").read_text())
    manifest["tables"]["app"]["lead"]["rows"] = 199
    (unpacked / "manifest.json").write_text(json.dumps(manifest))
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(forged, "w:gz") as tar:
        tar.add(unpacked / "manifest.json", arcname="manifest.json")
        for name in manifest["files"]:
            tar.add(unpacked / name, arcname=name)

    with pytest.raises(RestoreRefused, match="table lead differs"):
        restore(forged, layout=target)

    assert var_files(target) == []
