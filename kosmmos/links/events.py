"""The event store: click events apart from app data, append-only, tenant first then time.

One small interface (``EventStore``) with two backends:

* ``SQLiteEventStore`` — the embedded default: a separate SQLite file under ``KOSMMOS_VAR``
  (WAL, so the flusher writes while the web server reads; a bulk of clicks never bloats or locks
  the app database).
* ``PostgresEventStore`` — with ``DATABASE_URL`` set: tables in the same PostgreSQL database,
  reached through Django's connection (so the redirect machines' flushers all feed one store).

Raw clicks are keyed ``(workspace, ts, click_id)``; dashboards read the hourly rollups
(``click_hourly``, unique on (workspace, hour, link)), recomputed from raw clicks for the hours the
flusher marked dirty. The schema maps one-to-one onto a ClickHouse MergeTree ordered by
(workspace, ts) when a single database no longer keeps up (README: "Scale path").
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Click:
    workspace_id: uuid.UUID
    ts_ms: int
    click_id: str
    link_id: uuid.UUID
    referrer: str = ""
    ua_class: str = ""
    device: str = ""
    is_bot: bool = False


@dataclass(frozen=True)
class Totals:
    clicks: int
    bot_clicks: int


SCHEMA = [
    """CREATE TABLE IF NOT EXISTS links_click (
        workspace_id {uuid} NOT NULL, ts BIGINT NOT NULL, click_id VARCHAR(40) NOT NULL,
        link_id {uuid} NOT NULL, referrer VARCHAR(100) NOT NULL DEFAULT '',
        ua_class VARCHAR(16) NOT NULL DEFAULT '', device VARCHAR(16) NOT NULL DEFAULT '',
        is_bot SMALLINT NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, ts, click_id)){without_rowid}""",
    """CREATE TABLE IF NOT EXISTS links_click_hourly (
        workspace_id {uuid} NOT NULL, hour BIGINT NOT NULL, link_id {uuid} NOT NULL,
        clicks BIGINT NOT NULL, bot_clicks BIGINT NOT NULL,
        PRIMARY KEY (workspace_id, hour, link_id)){without_rowid}""",
    """CREATE TABLE IF NOT EXISTS links_click_dirty (
        workspace_id {uuid} NOT NULL, link_id {uuid} NOT NULL, hour BIGINT NOT NULL,
        PRIMARY KEY (workspace_id, link_id, hour))""",
    """CREATE TABLE IF NOT EXISTS links_spool_offset (
        segment VARCHAR(100) PRIMARY KEY, position BIGINT NOT NULL)""",
]


class EventStore:
    """Backend-neutral SQL; subclasses provide connections and the placeholder style."""

    placeholder = "%s"

    # --- plumbing -------------------------------------------------------------------------------
    def _conn(self) -> Any:
        raise NotImplementedError

    def _tx(self) -> AbstractContextManager[Any]:
        """A cursor inside one write transaction (committed on exit, rolled back on error)."""
        raise NotImplementedError

    def _uuid(self, value: uuid.UUID) -> Any:
        raise NotImplementedError

    def _to_uuid(self, value: Any) -> uuid.UUID:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "%s" else sql.replace("%s", self.placeholder)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._conn().cursor()
        try:
            cur.execute(self._sql(sql), list(params))
            return list(cur.fetchall())
        finally:
            cur.close()

    # --- writing --------------------------------------------------------------------------------
    def append_clicks(self, batch: Sequence[Click], offsets: dict[str, int] | None = None) -> int:
        """Store clicks (a duplicate click id is ignored), mark their hours dirty for the rollup,
        and record spool offsets — all in one transaction, so a crash never half-applies."""
        with self._tx() as cur:
            if batch:
                cur.executemany(self._sql(
                    "INSERT INTO links_click (workspace_id, ts, click_id, link_id, referrer, "
                    "ua_class, device, is_bot) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING"
                ), [(self._uuid(c.workspace_id), c.ts_ms, c.click_id, self._uuid(c.link_id),
                     c.referrer[:100], c.ua_class[:16], c.device[:16], int(c.is_bot)) for c in batch])
                dirty = {(c.workspace_id, c.link_id, c.ts_ms // HOUR_MS * HOUR_MS) for c in batch}
                cur.executemany(self._sql(
                    "INSERT INTO links_click_dirty (workspace_id, link_id, hour) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING"
                ), [(self._uuid(w), self._uuid(link), h) for w, link, h in sorted(dirty)])
            for segment, position in (offsets or {}).items():
                cur.execute(self._sql(
                    "INSERT INTO links_spool_offset (segment, position) VALUES (%s, %s) "
                    "ON CONFLICT (segment) DO UPDATE SET position = excluded.position"
                ), [segment, position])
        return len(batch)

    def forget_clicks(self, workspace_ids: Iterable[uuid.UUID], click_ids: Iterable[str]) -> int:
        """Anonymise the raw clicks with these ids (a data subject's request): the click id
        becomes a random one and the referrer goes; time, link, device class stay, so counts,
        rollups and revenue do not move. Returns how many rows changed."""
        ids = sorted({k for k in click_ids if k and not k.startswith("anon-")})
        workspaces = [self._uuid(w) for w in set(workspace_ids)]
        if not ids or not workspaces:
            return 0
        changed = 0
        with self._tx() as cur:
            for workspace in workspaces:
                for kid in ids:
                    cur.execute(self._sql(
                        "UPDATE links_click SET click_id = %s, referrer = '' "
                        "WHERE workspace_id = %s AND click_id = %s"),
                        [f"anon-{uuid.uuid4().hex[:30]}", workspace, kid])
                    changed += max(cur.rowcount, 0)
        return changed

    def forget_workspaces(self, workspace_ids: Iterable[uuid.UUID]) -> None:
        """Delete every click and rollup of these workspaces (their organisation is deleted)."""
        with self._tx() as cur:
            for workspace in {self._uuid(w) for w in workspace_ids}:
                for table in ("links_click", "links_click_hourly", "links_click_dirty"):
                    cur.execute(self._sql(f"DELETE FROM {table} WHERE workspace_id = %s"),  # noqa: S608
                                [workspace])

    def offsets(self) -> dict[str, int]:
        return {s: int(p) for s, p in self._rows("SELECT segment, position FROM links_spool_offset")}

    def forget_segment(self, segment: str) -> None:
        with self._tx() as cur:
            cur.execute(self._sql("DELETE FROM links_spool_offset WHERE segment = %s"), [segment])

    def rollup_dirty(self, limit: int = 2000) -> int:
        """Recompute the hourly rows of up to ``limit`` dirty (workspace, link, hour) keys.

        The dirty rows are claimed by deleting them in the same transaction as the recompute:
        two tickers never both claim a key (SQLite serialises writers; PostgreSQL skips rows the
        other holds), and a crash rolls both back. Each hourly row is recomputed from raw clicks,
        not incremented, so doing it twice is harmless.
        """
        with self._tx() as cur:
            # The suffix is a constant of the backend.
            pick = "SELECT workspace_id, link_id, hour FROM links_click_dirty ORDER BY workspace_id, link_id, hour LIMIT %s" + self._skip_locked()  # noqa: S608, E501
            cur.execute(self._sql(pick), [limit])
            keys = list(cur.fetchall())
            for workspace, link, hour in keys:
                cur.execute(self._sql(
                    "DELETE FROM links_click_dirty WHERE workspace_id = %s AND link_id = %s AND hour = %s"
                ), [workspace, link, hour])
                cur.execute(self._sql(
                    "SELECT COALESCE(SUM(1 - is_bot), 0), COALESCE(SUM(is_bot), 0) FROM links_click "
                    "WHERE workspace_id = %s AND ts >= %s AND ts < %s AND link_id = %s"
                ), [workspace, hour, hour + HOUR_MS, link])
                clicks, bots = cur.fetchone()
                cur.execute(self._sql(
                    "INSERT INTO links_click_hourly (workspace_id, hour, link_id, clicks, bot_clicks) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (workspace_id, hour, link_id) "
                    "DO UPDATE SET clicks = excluded.clicks, bot_clicks = excluded.bot_clicks"
                ), [workspace, hour, link, int(clicks), int(bots)])
        return len(keys)

    def _skip_locked(self) -> str:
        return ""

    def rebuild_rollups(self) -> int:
        """Recompute every hourly row from raw clicks in one statement (backfills, bulk loads)."""
        with self._tx() as cur:
            cur.execute("DELETE FROM links_click_dirty")
            cur.execute("DELETE FROM links_click_hourly")
            cur.execute(
                "INSERT INTO links_click_hourly (workspace_id, hour, link_id, clicks, bot_clicks) "
                "SELECT workspace_id, ts / 3600000 * 3600000, link_id, SUM(1 - is_bot), SUM(is_bot) "
                "FROM links_click GROUP BY workspace_id, ts / 3600000, link_id"
            )
        return int(self._rows("SELECT COUNT(*) FROM links_click_hourly")[0][0])

    # --- reading (dashboards) -------------------------------------------------------------------
    def hourly_totals(self, workspace_id: uuid.UUID, start_ms: int, end_ms: int,
                      link_id: uuid.UUID | None = None) -> list[tuple[int, int, int]]:
        """(hour start ms, human clicks, bot clicks) per hour with clicks, from the rollups."""
        sql = ("SELECT hour, SUM(clicks), SUM(bot_clicks) FROM links_click_hourly "
               "WHERE workspace_id = %s AND hour >= %s AND hour < %s")
        params: list[Any] = [self._uuid(workspace_id), start_ms, end_ms]
        if link_id is not None:
            sql += " AND link_id = %s"
            params.append(self._uuid(link_id))
        rows = self._rows(sql + " GROUP BY hour ORDER BY hour", params)
        return [(int(h), int(c), int(b)) for h, c, b in rows]

    def link_totals(self, workspace_id: uuid.UUID, start_ms: int, end_ms: int) -> dict[uuid.UUID, Totals]:
        rows = self._rows(
            "SELECT link_id, SUM(clicks), SUM(bot_clicks) FROM links_click_hourly "
            "WHERE workspace_id = %s AND hour >= %s AND hour < %s GROUP BY link_id",
            [self._uuid(workspace_id), start_ms, end_ms],
        )
        return {self._to_uuid(link): Totals(int(c), int(b)) for link, c, b in rows}

    def clicks(self, workspace_id: uuid.UUID, start_ms: int, end_ms: int, *,
               link_id: uuid.UUID | None = None, include_bots: bool = False,
               limit: int = 100, offset: int = 0) -> list[Click]:
        """Raw click rows, newest first (the drill-down behind a clicks figure)."""
        sql = ("SELECT workspace_id, ts, click_id, link_id, referrer, ua_class, device, is_bot "
               "FROM links_click WHERE workspace_id = %s AND ts >= %s AND ts < %s")
        params: list[Any] = [self._uuid(workspace_id), start_ms, end_ms]
        if link_id is not None:
            sql += " AND link_id = %s"
            params.append(self._uuid(link_id))
        if not include_bots:
            sql += " AND is_bot = 0"
        sql += " ORDER BY ts DESC LIMIT %s OFFSET %s"
        params += [limit, offset]
        return [
            Click(self._to_uuid(w), int(ts), kid, self._to_uuid(link), ref, ua, dev, bool(bot))
            for w, ts, kid, link, ref, ua, dev, bot in self._rows(sql, params)
        ]

    def count_raw(self, workspace_id: uuid.UUID) -> int:
        return int(self._rows("SELECT COUNT(*) FROM links_click WHERE workspace_id = %s",
                              [self._uuid(workspace_id)])[0][0])


class SQLiteEventStore(EventStore):
    placeholder = "?"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode; writes use explicit BEGIN IMMEDIATE (take the lock up front).
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in SCHEMA:
                conn.execute(statement.format(uuid="BLOB", without_rowid=" WITHOUT ROWID"))
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        conn = self._conn()
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
        finally:
            cur.close()

    def _uuid(self, value: uuid.UUID) -> bytes:
        return value.bytes

    def _to_uuid(self, value: Any) -> uuid.UUID:
        return uuid.UUID(bytes=bytes(value))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresEventStore(EventStore):
    """Tables in the app's PostgreSQL database (created by the links migration 0002)."""

    def _conn(self) -> Any:
        from django.db import connection

        connection.ensure_connection()
        return connection.connection

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(sql, list(params))
            return list(cur.fetchall())

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cur:
            yield cur

    def _skip_locked(self) -> str:
        return " FOR UPDATE SKIP LOCKED"

    def _uuid(self, value: uuid.UUID) -> uuid.UUID:
        return value

    def _to_uuid(self, value: Any) -> uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def postgres_schema() -> Iterable[str]:
    for statement in SCHEMA:
        yield statement.format(uuid="UUID", without_rowid="")


_store: EventStore | None = None
_store_key: tuple[str, str] | None = None
_lock = threading.Lock()


def get_store() -> EventStore:
    """The configured store (one per process; re-made when the settings change, as in tests)."""
    global _store, _store_key
    key = (settings.LINKS_EVENTS_BACKEND, str(settings.LINKS_EVENTS_PATH))
    with _lock:
        if _store is None or _store_key != key:
            if settings.LINKS_EVENTS_BACKEND == "postgres":
                _store = PostgresEventStore()
            else:
                _store = SQLiteEventStore(settings.LINKS_EVENTS_PATH)
            _store_key = key
        return _store
