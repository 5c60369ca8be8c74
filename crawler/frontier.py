"""A durable frontier: every URL the crawl decided to fetch, with its state, on disk.

Scrapy's JOBDIR only resumes after a graceful stop; a crawl killed with SIGKILL loses its
in-memory queue. Here each request is written to SQLite (WAL, one commit per change)
before it is scheduled, and moves ``queued`` → ``fetched`` (its response is archived: the
WARC file and offset are kept) → ``done`` (its links are queued and its document stored).
Run again after a kill, the crawl

- re-schedules ``queued`` URLs (the requests that were in flight, and those not yet sent),
- replays ``fetched`` ones from the WARC archive instead of fetching them again, and
- never schedules a URL it already knows, so no page is fetched or stored twice.

A portal whose crawl finished is started afresh next time (a re-crawl).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS portal_state (
    portal TEXT PRIMARY KEY,
    status TEXT NOT NULL,              -- running | completed
    generation INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS frontier (
    portal TEXT NOT NULL,
    key TEXT NOT NULL,                 -- canonical URL (method and body for a POST)
    url TEXT NOT NULL,
    method TEXT NOT NULL DEFAULT 'GET',
    body BLOB,
    meta TEXT NOT NULL,                -- JSON: kind, link text, referer, adapter state
    state TEXT NOT NULL,      -- queued | fetched | done | failed | blocked | dropped
    warc_file TEXT,
    warc_offset INTEGER,
    record_id TEXT,
    PRIMARY KEY (portal, key)
);
CREATE INDEX IF NOT EXISTS frontier_state ON frontier (portal, state);
"""


@dataclass(frozen=True)
class Entry:
    portal: str
    key: str
    url: str
    method: str
    body: bytes | None
    meta: dict
    state: str
    warc_file: str | None = None
    warc_offset: int | None = None
    record_id: str | None = None


class Frontier:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a killed process loses nothing committed (only a power cut
        # could lose the last transactions).
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(portal_state)")}
        if "owner" not in columns:  # a frontier made before owners were recorded
            self.db.execute("ALTER TABLE portal_state ADD COLUMN owner TEXT")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit (the connection otherwise commits each one)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- portals -----------------------------------------------------------------------

    def claim(self, portals: list[str]) -> None:
        """Take the portals' crawls for this process, before any is begun.

        A portal whose crawl is ``running`` was either killed (resume it) or is being
        crawled right now by another live process on this data dir: that one is not a
        killed crawl, and taking over its queued URLs would fetch and store them twice.
        Raises FrontierBusy then (``nianbao crawl --distributed`` shares one crawl).
        """
        me = _owner()
        self.db.execute("BEGIN IMMEDIATE")  # two processes starting together: one at a time
        try:
            for portal in portals:
                row = self.db.execute("SELECT status, owner FROM portal_state WHERE "
                                      "portal = ?", (portal,)).fetchone()
                if row and row[0] != "completed" and row[1] and row[1] != me \
                        and _owner_alive(row[1]):
                    raise FrontierBusy(f"portal {portal} is being crawled by process "
                                       f"{row[1]} on this data dir; wait for it, or share "
                                       "one crawl with --distributed")
                self.db.execute(
                    "INSERT INTO portal_state (portal, status, generation, owner) "
                    "VALUES (?, 'new', 0, ?) ON CONFLICT(portal) DO UPDATE SET owner = ?",
                    (portal, me, me))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def begin(self, portal: str) -> bool:
        """Open a portal's crawl; True if it resumes an unfinished one."""
        row = self.db.execute("SELECT status FROM portal_state WHERE portal = ?",
                              (portal,)).fetchone()
        if row and row[0] == "running":
            return True
        with self.db:
            self.db.execute("DELETE FROM frontier WHERE portal = ?", (portal,))
            self.db.execute(
                "INSERT INTO portal_state (portal, status) VALUES (?, 'running') "
                "ON CONFLICT(portal) DO UPDATE SET status = 'running', "
                "generation = generation + 1", (portal,))
        return False

    def finish(self, portal: str) -> bool:
        """Mark a portal's crawl complete if nothing of it is left to do."""
        left = self.db.execute("SELECT count(*) FROM frontier WHERE portal = ? AND state IN "
                               "('queued', 'fetched')", (portal,)).fetchone()[0]
        if left:
            return False
        self.db.execute("UPDATE portal_state SET status = 'completed' WHERE portal = ?",
                        (portal,))
        return True

    # -- URLs --------------------------------------------------------------------------

    def add(self, portal: str, key: str, url: str, method: str, body: bytes | None,
            meta: dict) -> bool:
        """Record a URL to fetch; False if the portal's crawl already knows it."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO frontier (portal, key, url, method, body, meta, state) "
            "VALUES (?, ?, ?, ?, ?, ?, 'queued')",
            (portal, key, url, method, body, json.dumps(meta, ensure_ascii=False)))
        return cursor.rowcount == 1

    def fetched(self, portal: str, key: str, warc_file: str, offset: int,
                record_id: str) -> None:
        self.db.execute("UPDATE frontier SET state = 'fetched', warc_file = ?, warc_offset = ?,"
                        " record_id = ? WHERE portal = ? AND key = ? AND state = 'queued'",
                        (warc_file, offset, record_id, portal, key))

    def settle(self, portal: str, key: str, state: str = "done") -> None:
        self.db.execute("UPDATE frontier SET state = ? WHERE portal = ? AND key = ?",
                        (state, portal, key))

    def keys(self, portal: str) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT key FROM frontier WHERE portal = ?",
                                               (portal,))}

    def pending(self, portal: str) -> list[Entry]:
        rows = self.db.execute(
            "SELECT portal, key, url, method, body, meta, state, warc_file, warc_offset, "
            "record_id FROM frontier WHERE portal = ? AND state IN ('queued', 'fetched') "
            "ORDER BY rowid", (portal,)).fetchall()
        return [Entry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), *r[6:]) for r in rows]

    def count(self, portal: str) -> int:
        return self.db.execute("SELECT count(*) FROM frontier WHERE portal = ?",
                               (portal,)).fetchone()[0]

    def owner(self, portal: str) -> str | None:
        row = self.db.execute("SELECT owner FROM portal_state WHERE portal = ?",
                              (portal,)).fetchone()
        return row[0] if row else None

    def states(self, portal: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, count(*) FROM frontier WHERE portal = ? "
                                    "GROUP BY state", (portal,)).fetchall())


def claim_frontier(path: Path | str, portals: list[str]) -> None:
    """Claim the portals of the frontier at ``path`` for this process (see ``claim``)."""
    frontier = Frontier(path)
    try:
        frontier.claim(portals)
    finally:
        frontier.close()


class FrontierBusy(RuntimeError):
    """Another live process is crawling a portal of this frontier."""


def _owner() -> str:
    return f"{socket.gethostname().split('.')[0]}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname().split(".")[0]:
        return True  # another machine's process: only it can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True
