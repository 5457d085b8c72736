from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from kosmmos.backup import schedule
from kosmmos.backup.archive import prune
from kosmmos.backup.models import BackupRun
from kosmmos.conftest import World, client_for


@pytest.fixture
def scheduled(settings: Any, tmp_path: Path) -> Path:
    settings.BACKUP_EVERY_HOURS = 24
    settings.BACKUP_KEEP = 2
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.LINKS_SPOOL_DIR = tmp_path / "spool"
    return Path(settings.BACKUP_DIR)


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_backup_per_period_however_many_tickers_ask(scheduled: Path) -> None:
    day = 86_400.0 * 20_000

    handed = [schedule.dispatch_due(now=day + n) for n in range(3)]

    if django_settings.IS_POSTGRES:  # scheduled backups are the embedded set-up's (README)
        assert handed == [0, 0, 0] and not BackupRun.objects.exists()
        return
    assert handed == [1, 0, 0]
    run = BackupRun.objects.get()
    assert run.status == BackupRun.Status.DONE, run.error
    assert Path(run.path).parent == scheduled and run.size_bytes == Path(run.path).stat().st_size


def test_it_keeps_only_the_newest_archives(tmp_path: Path) -> None:
    for name in ("20260101", "20260102", "20260103", "20260104"):
        (tmp_path / f"kosmmos-backup-{name}-000000-0.tar.gz").write_bytes(b"x")

    gone = prune(tmp_path, keep=2)

    assert sorted(p.name[15:23] for p in gone) == ["20260101", "20260102"]
    assert sorted(p.name[15:23] for p in tmp_path.iterdir()) == ["20260103", "20260104"]


@pytest.mark.skipif(django_settings.IS_POSTGRES,
                    reason="scheduled backups and their alert are the embedded set-up's")
def test_it_shows_the_last_backup_and_alerts_when_it_is_over_a_day_old(
    world: World, scheduled: Path,
) -> None:
    browser = client_for(world.alpha.owner, language="ru")
    BackupRun.objects.create(slot=1, status=BackupRun.Status.DONE, size_bytes=5 * 2**20,
                             finished_at=timezone.now() - timedelta(hours=30))

    stale = browser.get("/settings/").content.decode()
    BackupRun.objects.create(slot=2, status=BackupRun.Status.DONE, size_bytes=6 * 2**20,
                             created_at=timezone.now(), finished_at=timezone.now())
    fresh = browser.get("/settings/").content.decode()

    assert "больше суток" in stale and "5,0" in stale
    assert "больше суток" not in fresh and "6,0" in fresh


@pytest.mark.skipif(django_settings.IS_POSTGRES,
                    reason="scheduled backups are the embedded set-up's")
@pytest.mark.django_db(transaction=True)
def test_it_writes_each_backup_to_every_agencys_audit_log(world: World, scheduled: Path) -> None:
    from kosmmos.audit.models import Event

    schedule.dispatch_due(now=86_400.0 * 20_001)

    run = BackupRun.objects.get()
    for org in (world.alpha.org, world.beta.org):
        event = Event.objects.get(organisation=org, action="backup.made")
        assert event.changes["archive"] == Path(run.path).name and event.changes["scheduled"]
