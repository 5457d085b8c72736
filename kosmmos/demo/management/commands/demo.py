from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kosmmos.demo.agency import load_demo
from kosmmos.demo.login import DEMO_EMAIL, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create the demo agency (idempotent) and print its login."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo()
        state = "created" if created else "already there"
        self.stdout.write(f"Demo agency {state}.")
        self.stdout.write(self.style.SUCCESS(
            f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}  (Войдите: {DEMO_EMAIL} / {DEMO_PASSWORD})"
        ))
