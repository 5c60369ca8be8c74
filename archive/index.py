"""The index of the archive: where each response, revisit and resource record is.

Two forms, one content:

- ``<file>.cdxj`` beside each closed WARC file: its sorted CDXJ lines, what pywb and
  ``cdxj-indexer`` write (``SURT timestamp {json}``), so pywb replays a file from them.
- ``index.sqlite`` in the WARC directory: every closed file's entries in one table with a
  B-tree on the URL. The crawl asks it (dedup, conditional requests, replay) one URL at a
  time and never loads it: opening it costs the same at ten million records as at one,
  and closing a WARC file adds that file's rows in one transaction instead of rewriting
  an index of the whole archive. SQLite's own locking (WAL, a busy timeout) lets several
  crawl processes on one machine add files at once; creating the table and importing
  older per-file indexes happen under a file lock (``filelock``).

A record in a file still being written (``.open``) is not in the index yet, which is what
keeps revisits honest: the archive only dedups against records already committed.
One sorted CDXJ file of the whole archive (pywb's ``index.cdxj``) is written on demand
by :func:`write_cdxj`, streamed from the table.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path

from filelock import FileLock

from .records import INDEXED_TYPES, IndexEntry, url_key, warc_timestamp

INDEX_DB = "index.sqlite"
#: the whole-archive CDXJ file nianbao kept before index.sqlite (imported, never written)
LEGACY_INDEX = "index.cdxj"
FILE_INDEX_SUFFIX = ".cdxj"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS capture (
    filename TEXT NOT NULL,
    offset INTEGER NOT NULL,
    url TEXT NOT NULL,
    urlkey TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    length INTEGER NOT NULL,
    digest TEXT,
    mime TEXT,
    status TEXT,
    record_type TEXT NOT NULL,
    PRIMARY KEY (filename, offset)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS capture_url ON capture (url, timestamp);
CREATE TABLE IF NOT EXISTS indexed_file (
    filename TEXT PRIMARY KEY,
    records INTEGER NOT NULL
);
"""
_COLUMNS = "url, timestamp, filename, offset, length, digest, mime, status, record_type"

__all__ = ["INDEXED_TYPES", "INDEX_DB", "ArchiveIndex", "IndexEntry", "read_index",
           "rebuild_index", "url_key", "warc_timestamp", "write_cdxj", "write_file_index"]


def _entry(row: tuple) -> IndexEntry:
    return IndexEntry(*row)


class ArchiveIndex:
    """The committed records of a WARC directory, asked one URL at a time.

    ``add`` puts an entry in this object only (records of files a killed crawl left open,
    for replay); ``commit_file`` records a closed file for every process.
    """

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._pending: dict[str, list[IndexEntry]] = {}
        if self.directory is None or not self.directory.is_dir():
            # nothing archived here: an empty index that creates no file
            self.db = sqlite3.connect(":memory:", isolation_level=None,
                                      check_same_thread=False)
            self.db.executescript(_SCHEMA)
            return
        path = self.directory / INDEX_DB
        with FileLock(str(path) + ".lock"):
            self.db = _connect(path)
            self.db.executescript(_SCHEMA)
            if self.db.execute("SELECT 1 FROM indexed_file LIMIT 1").fetchone() is None:
                # new here (or made before index.sqlite): the closed files' own indexes
                _import_file_indexes(self.db, self.directory)

    @classmethod
    def load(cls, directory: Path | str) -> ArchiveIndex:
        """The index of a directory (nothing is loaded: the name is kept for callers)."""
        return cls(directory)

    def close(self) -> None:
        self.db.close()

    # -- writing -------------------------------------------------------------------------

    def add(self, entry: IndexEntry) -> None:
        """An entry seen by this object only (an uncommitted record, for replay)."""
        self._pending.setdefault(entry.url, []).append(entry)

    def commit_file(self, warc_path: Path, entries: Iterable[IndexEntry]) -> int:
        """A closed WARC file's entries: its ``<file>.cdxj`` written, its rows added in one
        transaction (again for a file already indexed: nothing changes). Returns the count."""
        keyed = [(url_key(e.url), e) for e in entries]  # SURT once: it is the slow part
        write_file_index(warc_path, keyed)
        with self._transaction():
            _insert(self.db, Path(warc_path).name, keyed)
        return len(keyed)

    # -- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        committed = self.db.execute("SELECT count(*) FROM capture").fetchone()[0]
        return committed + sum(len(v) for v in self._pending.values())

    def captures(self, url: str) -> list[IndexEntry]:
        """Every capture of a URL, oldest first."""
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM capture WHERE url = ?", (url,))
        found = [_entry(r) for r in rows] + self._pending.get(url, [])
        return sorted(found, key=lambda e: (e.timestamp, e.filename, e.offset))

    def original(self, url: str, digest: str) -> IndexEntry | None:
        """The newest committed response record of this URL with this payload digest."""
        for entry in reversed(self.captures(url)):
            if entry.record_type == "response" and entry.digest == digest:
                return entry
        return None

    def latest(self, url: str, *, types: tuple[str, ...] = ("response", "revisit"),
               at: str | None = None) -> IndexEntry | None:
        """The newest capture (at or before ``at``, a 14-digit timestamp, if given)."""
        found = None
        for entry in self.captures(url):
            if entry.record_type in types and (at is None or entry.timestamp <= at):
                found = entry
        return found

    def urls(self) -> Iterator[str]:
        """Every URL with a capture, in order, streamed."""
        committed = (u for (u,) in self.db.execute(
            "SELECT DISTINCT url FROM capture ORDER BY url"))
        pending = sorted(self._pending)
        yield from _merge_unique(committed, pending)

    def entries(self) -> Iterator[IndexEntry]:
        """Every committed entry in CDXJ order (SURT key, timestamp, line), streamed."""
        rows = self.db.execute(f"SELECT {_COLUMNS}, urlkey FROM capture "
                               "ORDER BY urlkey, timestamp")
        for _key, group in groupby(rows, key=lambda r: (r[-1], r[1])):
            # lines with one key and timestamp sort by their JSON, as `sort` would
            yield from sorted((_entry(r[:-1]) for r in group), key=IndexEntry.cdxj_line)

    def _transaction(self):
        return _Immediate(self.db)


class _Immediate:
    """BEGIN IMMEDIATE … COMMIT: take the write lock up front, so two writers queue on the
    busy timeout instead of one failing to upgrade its read lock."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *_exc) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode: a killed process loses no committed transaction; a power cut
    # can lose the last few, and rebuild_index restores them from the per-file indexes.
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def _insert(db: sqlite3.Connection, filename: str,
            keyed: list[tuple[str, IndexEntry]]) -> None:
    db.executemany(
        f"INSERT OR IGNORE INTO capture ({_COLUMNS}, urlkey) VALUES (?,?,?,?,?,?,?,?,?,?)",
        ((e.url, e.timestamp, e.filename, e.offset, e.length, e.digest, e.mime, e.status,
          e.record_type, key) for key, e in keyed))
    db.execute("INSERT OR REPLACE INTO indexed_file (filename, records) VALUES (?, ?)",
               (filename, len(keyed)))


def _file_indexes(directory: Path) -> list[Path]:
    return sorted(p for pattern in ("*.warc.gz.cdxj", "*.warc.cdxj")
                  for p in directory.glob(pattern))


def _import_file_indexes(db: sqlite3.Connection, directory: Path) -> int:
    """Every closed file's ``.cdxj`` into the table (a directory written before
    index.sqlite, or a rebuild)."""
    count = 0
    with _Immediate(db):
        for path in _file_indexes(directory):
            with open(path, encoding="utf-8") as fh:
                keyed = [(line.split(" ", 1)[0], IndexEntry.from_line(line.rstrip("\n")))
                         for line in fh if line.strip()]
            _insert(db, path.name.removesuffix(FILE_INDEX_SUFFIX), keyed)
            count += len(keyed)
    return count


def _merge_unique(a: Iterator[str], b: list[str]) -> Iterator[str]:
    import heapq

    last = None
    for url in heapq.merge(a, b):
        if url != last:
            yield url
            last = url


def write_file_index(warc_path: Path,
                     entries: Iterable[IndexEntry] | Iterable[tuple[str, IndexEntry]]) -> Path:
    """The sorted ``<file>.cdxj`` beside a closed WARC file (entries, or (SURT key,
    entry) pairs)."""
    lines = sorted(e[1].cdxj_line(e[0]) if isinstance(e, tuple) else e.cdxj_line()
                   for e in entries)
    path = Path(warc_path).with_name(Path(warc_path).name + FILE_INDEX_SUFFIX)
    _write_atomically(path, lines)
    return path


def rebuild_index(directory: Path | str) -> int:
    """``index.sqlite`` again from every closed file's ``.cdxj``; returns the entry count."""
    directory = Path(directory)
    with FileLock(str(directory / INDEX_DB) + ".lock"):
        db = _connect(directory / INDEX_DB)
        try:
            db.executescript(_SCHEMA)
            with _Immediate(db):
                db.execute("DELETE FROM capture")
                db.execute("DELETE FROM indexed_file")
            return _import_file_indexes(db, directory)
        finally:
            db.close()


def read_index(directory: Path | str) -> Iterator[IndexEntry]:
    """Every committed entry of a directory, in CDXJ order, streamed."""
    if not (Path(directory) / INDEX_DB).exists() and not _file_indexes(Path(directory)):
        return
    index = ArchiveIndex(directory)
    try:
        yield from index.entries()
    finally:
        index.close()


def write_cdxj(directory: Path | str, path: Path | str) -> int:
    """One sorted CDXJ file of the whole archive (for pywb's ``index_paths``, WACZ)."""
    count = 0

    def lines() -> Iterator[str]:
        nonlocal count
        for entry in read_index(directory):
            count += 1
            yield entry.cdxj_line()

    _write_atomically(Path(path), lines())
    return count


def _write_atomically(path: Path, lines: Iterable[str]) -> None:
    """Write under a unique temporary name in the same directory, then rename: readers
    see the old file or the new one, and two writers never share a temporary file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
