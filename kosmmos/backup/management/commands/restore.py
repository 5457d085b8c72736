"""``kosmmos restore ARCHIVE``: into an empty installation; a bad archive changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kosmmos.backup.archive import RestoreRefused, restore


class Command(BaseCommand):
    help = "Restore a backup archive into an empty var/ (or an empty PostgreSQL database)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = restore(Path(options["archive"]))
        except RestoreRefused as exc:
            raise CommandError(f"restore refused, nothing was changed: {exc}") from exc
        made = done.manifest.get("created_at", "?")
        self.stdout.write(f"restored {done.files} files, {done.rows_checked} rows checked "
                          f"(backup of {made}); run `kosmmos migrate` if this Kosmmos is newer")
