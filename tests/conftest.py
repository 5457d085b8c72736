"""Fixtures for the tests that run whole Kosmmos processes (browser, publishing faults).

When DATABASE_URL / REDIS_URL are set, such a test gets servers of its own on them: a fresh
PostgreSQL database (dropped afterwards) and Redis database 15 (flushed before and after).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

# The Redis database these tests may wipe; the unit tests use the one in REDIS_URL.
SCRATCH_REDIS_DB = 15


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=path))


@contextlib.contextmanager
def scratch_database(template: str | None = None) -> Iterator[str | None]:
    """A fresh database on the DATABASE_URL server (a copy of ``template`` when given), dropped
    afterwards; None without DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        yield None
        return
    from psycopg import sql

    name = f"kosmmos_scratch_{secrets.token_hex(4)}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template))
    with _admin(url) as conn:
        conn.execute(create)
    try:
        yield _with_path(url, f"/{name}")
    finally:
        with _admin(url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _admin(url: str) -> Any:
    import psycopg

    last: Exception | None = None
    for maintenance in ("postgres", "template1"):
        try:
            return psycopg.connect(_with_path(url, f"/{maintenance}"), autocommit=True)
        except psycopg.OperationalError as exc:
            last = exc
    raise AssertionError(f"cannot reach the PostgreSQL server of DATABASE_URL: {last}")


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@pytest.fixture
def postgres_url() -> Iterator[str | None]:
    """A fresh database on the DATABASE_URL server, dropped afterwards; None without one."""
    with scratch_database() as url:
        yield url


def scratch_redis_url() -> str | None:
    """REDIS_URL moved to the database these tests may wipe; None without REDIS_URL."""
    url = os.environ.get("REDIS_URL", "")
    return _with_path(url, f"/{SCRATCH_REDIS_DB}") if url else None


@pytest.fixture
def redis_url() -> Iterator[str | None]:
    """REDIS_URL moved to database 15 and flushed before and after; None without REDIS_URL."""
    url = scratch_redis_url()
    if not url:
        yield None
        return
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
