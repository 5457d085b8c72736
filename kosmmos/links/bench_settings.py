"""Bench only: the product settings with the Django redirect view as the whole URLconf."""

from kosmmos.settings import *  # noqa: F403

ROOT_URLCONF = "kosmmos.links.bench_django"
