"""``kosmmos backup [--to DIR]``: one consistent archive of the running installation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kosmmos.backup.archive import BackupError, make_backup
from kosmmos.backup.log import audit_all


class Command(BaseCommand):
    help = "Back up the databases, media and keys into one archive (safe while Kosmmos runs)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", default=str(settings.BACKUP_DIR),
                            help="folder for the archive (default: %(default)s)")
        parser.add_argument("--without-keys", action="store_true",
                            help="leave the secret key out (keep it apart yourself)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = make_backup(Path(options["to"]), include_keys=not options["without_keys"])
        except BackupError as exc:
            audit_all("backup.failed", {"scheduled": False, "error": str(exc)[:500]})
            raise CommandError(str(exc)) from exc
        audit_all("backup.made", {"scheduled": False, "archive": path.name,
                                  "size_bytes": path.stat().st_size,
                                  "keys": not options["without_keys"]})
        size = path.stat().st_size / 2**20
        self.stdout.write(f"{path}  ({size:.1f} MB)")
