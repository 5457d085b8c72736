"""`kosmmos bench inbox [--json] [--events N] [--batch N] [--duplicates F]`.

Pushes N sandbox-shaped comment events (``{id, at, author, text}`` as the sandbox network's
comments API returns them) through the whole ingestion pipeline — parse, dedupe, match to our
published posts, classify (the configured sentiment model), store, notify — into the database,
in batches (one transaction each). A share of the events is delivered twice (some inside one
batch, most in a later one) and a few are malformed (no id), so the drop counters are exercised.

Reports ``items_per_s`` (events handled per second of wall time), ``dropped_by_reason``,
``lost`` (good unique events whose id, on its channel, is not among the stored items: checked
per item, so a surplus of stored rows cannot hide a missing one), ``unexpected_stored`` (stored
items that were never a good event) and ``duplicates_stored`` (items stored more than once).
Runs on a throw-away SQLite database in a temporary KOSMMOS_VAR unless DATABASE_URL is set (then
it uses that database and deletes its bench agency afterwards).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from typing import Any

OPENINGS = ["Спасибо", "Курьер опоздал", "Подскажите", "Отличный магазин", "Ужасное качество",
            "Класс", "Заказ пришёл", "Верните деньги", "Сколько стоит", "Очень нравится",
            "Не работает", "Где купить", "Супер", "Опять брак", "Жду продолжения"]
ENDINGS = ["доставка быстрая", "маска пересушивает кожу", "размер M есть?", "всё пришло целым",
           "коробка мятая", "буду заказывать ещё", "поддержка не отвечает", "цена кусается",
           "качество на высоте", "третий раз пишу", "а скидки будут?", "рекомендую друзьям"]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kosmmos bench inbox")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--duplicates", type=float, default=0.05)
    parser.add_argument("--malformed", type=float, default=0.002)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--posts", type=int, default=100, help="published posts per channel")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def _events(args: argparse.Namespace, channels: list[Any], posts: dict[Any, list[str]]
            ) -> tuple[list[tuple[Any, dict[str, Any], str]], set[tuple[str, str]]]:
    """The delivery stream and the (channel id, comment id) of its good unique events."""
    rng = random.Random(args.seed)
    n_dup = int(args.events * args.duplicates)
    n_unique = args.events - n_dup
    start = time.time() - 86400
    unique = []
    good: set[tuple[str, str]] = set()
    for i in range(n_unique):
        channel = channels[i % len(channels)]
        post = rng.choice(posts[channel.pk])
        comment: dict[str, Any] = {
            "id": f"{post}_{i}", "at": start + i * 0.8, "author": f"user{rng.randrange(50_000)}",
            "text": f"{rng.choice(OPENINGS)}, {rng.choice(ENDINGS)} #{rng.randrange(1000)}",
        }
        if rng.random() < args.malformed:
            del comment["id"]
        else:
            good.add((str(channel.pk), comment["id"]))
        unique.append((channel, comment, post))
    stream = list(unique)
    for _ in range(n_dup):
        # Redeliveries land a little later in the stream: some in the same batch, most after.
        k = rng.randrange(n_unique)
        stream.insert(min(len(stream), k + rng.randrange(1, 3 * args.batch)), unique[k])
    return stream, good


def run(argv: list[str]) -> dict[str, Any]:
    args = _parse(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosmmos.settings")
    own_var = not os.environ.get("DATABASE_URL")
    if own_var:
        os.environ["KOSMMOS_VAR"] = tempfile.mkdtemp(prefix="kosmmos-bench-inbox-")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from kosmmos.accounts.models import Organisation, Workspace
    from kosmmos.inbox.models import DropCount, Item
    from kosmmos.inbox.pipeline import Envelope, ingest
    from kosmmos.inbox.sentiment import classify
    from kosmmos.inbox.testing import make_channel, make_target

    call_command("migrate", verbosity=0, interactive=False)
    org = Organisation.objects.create(name="Bench inbox agency")
    try:
        workspace = Workspace.objects.create(organisation=org, name="Bench client")
        channels = [make_channel(workspace, "sandbox", f"bench-{i}") for i in range(args.channels)]
        posts = {c.pk: [make_target(c, str(1000 * i + p)).external_id for p in range(args.posts)]
                 for i, c in enumerate(channels)}
        stream, good = _events(args, channels, posts)
        classify(["прогрев модели"])  # load the model outside the timed part
        started = time.perf_counter()
        batch_s = []
        for begin in range(0, len(stream), args.batch):
            t0 = time.perf_counter()
            ingest([Envelope(c, dict(payload), post)
                    for c, payload, post in stream[begin:begin + args.batch]])
            batch_s.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - started
        tenth = max(1, len(batch_s) // 10)
        items = Item.objects.filter(organisation=org)
        stored = items.count()
        kept = {(str(c), e) for c, e in items.values_list("channel_id", "external_id")}
        duplicates = (items.values("channel_id", "kind", "external_id")
                      .annotate(n=Count("pk")).filter(n__gt=1).count())
        dropped: dict[str, int] = {}
        for row in DropCount.objects.filter(organisation=org):
            key = f"{row.step}:{row.reason}"
            dropped[key] = dropped.get(key, 0) + row.count
        matched = items.filter(target__isnull=False).count()
        labelled = items.exclude(sentiment="").count()
        return {
            "items_per_s": round(len(stream) / seconds),
            "events": len(stream), "seconds": round(seconds, 2), "stored": stored,
            # Throughput over the first and the last tenth: flat means the table size does not
            # slow ingestion down (dedupe and inserts ride the unique index).
            "items_per_s_first_tenth": round(tenth * args.batch / sum(batch_s[:tenth])),
            "items_per_s_last_tenth": round(tenth * args.batch / sum(batch_s[-tenth:])),
            "matched_to_posts": matched, "classified": labelled,
            "dropped_by_reason": dict(sorted(dropped.items())),
            "lost": len(good - kept), "unexpected_stored": len(kept - good),
            "duplicates_stored": duplicates, "batch": args.batch,
            "database": connection.vendor,
            "target": {"items_per_s": 3000, "lost": 0, "duplicates_stored": 0},
            "note": "" if own_var else f"ran on {settings.DATABASES['default']['NAME']}",
        }
    finally:
        if not own_var:
            org.delete()
