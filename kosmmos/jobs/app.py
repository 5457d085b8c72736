"""The Celery app. Tasks take ids; the database says what is due (see jobs/claims.py)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")

app = Celery("kosmmos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in settings.TASK_QUEUE_NAMES]
# An explicit list, no autodiscovery: every task module is named here.
app.conf.imports = [
    "kosmmos.ads.tasks",
    "kosmmos.audiences.tasks",
    "kosmmos.backup.tasks",
    "kosmmos.competitors.tasks",
    "kosmmos.content.tasks",
    "kosmmos.giveaways.tasks",
    "kosmmos.inbox.tasks",
    "kosmmos.links.tasks",
    "kosmmos.mail.tasks",
    "kosmmos.notifications.tasks",
    "kosmmos.ord.tasks",
    "kosmmos.privacy.tasks",
    "kosmmos.proposals.tasks",
    "kosmmos.publishing.tasks",
    "kosmmos.reports.tasks",
]


@worker_ready.connect
def _start_ticker(**_: object) -> None:
    # Every worker runs a ticker; claims are conditional, so any number of them is safe.
    if os.environ.get("KOSMMOS_TICKER", "1") != "0":
        from kosmmos.jobs.ticker import ticker

        ticker.start()


@worker_shutdown.connect
def _stop_ticker(**_: object) -> None:
    from kosmmos.jobs.ticker import ticker

    ticker.stop()
