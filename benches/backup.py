"""``kosmmos bench backup``: back up a live agency, restore it into a fresh var/, compare.

Builds (not timed) a fresh embedded set-up: the demo agency, then ``--leads`` leads with briefs,
``--clicks`` clicks in the event store and ``--media`` media files of 100 KB. Then, while a writer
thread keeps committing new leads and clicks (as the inbox and the redirect service would), it
times ``make_backup``, then ``restore`` into an empty var/, and compares every table's rows and
checksum and every media file with the source as the backup captured it. Tokens are decrypted
in a process running on the restored var/. ``mismatches`` counts any table, file or token that
differs (0 expected).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benches.common import with_root_on_path


def run(argv: list[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="kosmmos bench backup")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--media", type=int, default=300)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kosmmos-bench-backup-") as root:
        env = with_root_on_path({
            **os.environ, "KOSMMOS_VAR": f"{root}/source", "DJANGO_SETTINGS_MODULE":
            "kosmmos.settings", "LINKS_EVENTS_BACKEND": "sqlite", "LOG_LEVEL": "WARNING"})
        for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "KOSMMOS_ENCRYPTION_KEY"):
            env.pop(name, None)
        for command in (["migrate", "--noinput"], ["demo"]):
            subprocess.run([sys.executable, "-m", "kosmmos.cli", *command], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run(
            [sys.executable, "-m", "benches.backup", json.dumps({**vars(opts), "root": root})],
            env=env, check=True, capture_output=True, text=True,
        ).stdout
        result = dict(json.loads(out.strip().splitlines()[-1]))
        # Tokens must decrypt with what the archive restored (its secret key), in a fresh process.
        restored_env = {**env, "KOSMMOS_VAR": f"{root}/restored"}
        check = subprocess.run(
            [sys.executable, "-m", "kosmmos.cli", "shell", "-c", DECRYPT], env=restored_env,
            check=True, capture_output=True, text=True).stdout.split()
        decrypted, failed = int(check[-2]), int(check[-1])
        result["mismatches"] = int(result["mismatches"]) + failed + (0 if decrypted else 1)
        result["tokens_decrypted"] = decrypted
    return result


DECRYPT = """
from kosmmos.channels.models import Channel
ok = bad = 0
for channel in Channel.objects.exclude(credentials_encrypted=""):
    try:
        channel.credentials
        ok += 1
    except Exception:
        bad += 1
print(ok, bad)
"""


def _inner(opts: dict[str, object]) -> dict[str, object]:
    import random
    import sqlite3
    import threading
    import time
    import uuid

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from kosmmos.accounts.models import Organisation
    from kosmmos.backup.archive import Layout, make_backup, restore, sha256_file, sqlite_tables
    from kosmmos.briefs.models import Brief, Lead
    from kosmmos.links.events import Click, get_store

    rng = random.Random(7)
    root = Path(str(opts["root"]))
    org = Organisation.objects.first()
    assert org is not None
    for start in range(0, int(str(opts["leads"])), 2000):
        briefs = [Brief(organisation=org, product_type="permanent", budget_rub=100_000 + n,
                        period_months=3, contact_name=f"Клиент {start + n}",
                        email=f"client{start + n}@example.ru", phone=f"+7900{start + n:07d}",
                        consent=True, networks=["vk"], goals=["sales"])
                  for n in range(2000)]
        Brief.objects.bulk_create(briefs)
        Lead.objects.bulk_create([Lead(organisation=org, brief=b, title=b.contact_name)
                                  for b in briefs])
    store = get_store()
    workspaces = [uuid.uuid4() for _ in range(10)]
    links = [uuid.uuid4() for _ in range(200)]
    now_ms = int(time.time() * 1000)
    total = int(str(opts["clicks"]))
    for start in range(0, total, 50_000):
        store.append_clicks([
            Click(workspace_id=rng.choice(workspaces), ts_ms=now_ms - rng.randrange(10**10),
                  click_id=f"c{n}", link_id=rng.choice(links))
            for n in range(start, min(total, start + 50_000))])
    media = Path(settings.MEDIA_ROOT) / str(org.pk)
    media.mkdir(parents=True, exist_ok=True)
    for n in range(int(str(opts["media"]))):
        (media / f"photo-{n}.jpg").write_bytes(rng.randbytes(100_000))
    connection.close()

    # The product keeps writing while the backup runs.
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        app = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
        n = 0
        while not stop.is_set():
            store.append_clicks([Click(workspace_id=workspaces[0], ts_ms=now_ms + n,
                                       click_id=f"live{n}", link_id=links[0])])
            app.execute("UPDATE briefs_brief SET kpis = ? WHERE rowid = ?", (f"live {n}", n + 1))
            app.commit()
            n += 1
            time.sleep(0.002)
        written[0] = n
        app.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        started = time.perf_counter()
        archive = make_backup(root / "backups", layout=Layout.from_settings())
        backup_s = time.perf_counter() - started
    finally:
        stop.set()
        thread.join()

    target = Layout(var=root / "restored", app_db=root / "restored" / "kosmmos.sqlite3",
                    events_db=root / "restored" / "events.sqlite3",
                    media=root / "restored" / "uploads", spool=root / "restored" / "clicks-spool",
                    secret_key=root / "restored" / "secret_key", database_url="")
    started = time.perf_counter()
    done = restore(archive, layout=target)
    restore_s = time.perf_counter() - started

    # Compared independently of restore()'s own checks: re-read the restored stores.
    from kosmmos.backup.archive import read_manifest

    manifest = read_manifest(archive)
    mismatches, rows = 0, 0
    for db_name, path in target.databases().items():
        found = sqlite_tables(path)
        for table, expected in manifest["tables"][db_name].items():
            rows += int(found.get(table, {}).get("rows", 0))
            mismatches += found.get(table) != expected
        mismatches += len(set(found) ^ set(manifest["tables"][db_name]))
    source = Layout.from_settings()
    for path in sorted(source.media.rglob("*")):
        if path.is_file():
            copy = target.media / path.relative_to(source.media)
            mismatches += not copy.is_file() or sha256_file(copy) != sha256_file(path)
    return {
        "backup_s": round(backup_s, 2), "restore_s": round(restore_s, 2),
        "archive_mb": round(archive.stat().st_size / 2**20, 1), "rows_checked": rows,
        "mismatches": mismatches, "rows_verified_by_restore": done.rows_checked,
        "writes_during_backup": written[0],
    }


if __name__ == "__main__":
    print(json.dumps(_inner(json.loads(sys.argv[1]))))
