"""The CDXJ index of the archive: one line per response, revisit and resource record.

The lines are what pywb and `cdxj-indexer` write (``SURT timestamp {json}``, sorted), so
pywb replays the archive from this index as it is. Each WARC file gets its index when it
is closed (``<file>.cdxj`` beside it) and the lines are merged into ``index.cdxj``; a
record in a file still being written (``.open``) is not in the index yet, which is what
keeps revisits honest: the archive only dedups against records already committed.
"""

from __future__ import annotations

import heapq
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from surt import surt

INDEX_NAME = "index.cdxj"
INDEXED_TYPES = ("response", "revisit", "resource")


@dataclass(frozen=True)
class IndexEntry:
    url: str
    timestamp: str  # 14 digits, from WARC-Date
    filename: str
    offset: int
    length: int
    digest: str | None  # "sha1:BASE32"
    mime: str | None
    status: str | None
    record_type: str  # response | revisit | resource

    def cdxj_line(self) -> str:
        fields = {"url": self.url}
        if self.mime:
            fields["mime"] = self.mime
        if self.status:
            fields["status"] = self.status
        if self.digest:
            fields["digest"] = self.digest
        fields.update(length=str(self.length), offset=str(self.offset), filename=self.filename)
        return f"{url_key(self.url)} {self.timestamp} {json.dumps(fields, ensure_ascii=False)}"

    @classmethod
    def from_line(cls, line: str) -> IndexEntry:
        _key, timestamp, rest = line.split(" ", 2)
        fields = json.loads(rest)
        mime = fields.get("mime")
        record_type = ("revisit" if mime == "warc/revisit"
                       else "response" if "status" in fields else "resource")
        return cls(fields["url"], timestamp, fields["filename"], int(fields["offset"]),
                   int(fields["length"]), fields.get("digest"), mime, fields.get("status"),
                   record_type)


def url_key(url: str) -> str:
    try:
        return surt(url)
    except Exception:  # noqa: BLE001 - a URL surt cannot read is still indexed, as itself
        return url


def warc_timestamp(warc_date: str) -> str:
    """'2026-11-22T18:06:08Z' (or with fractions) → '20261122180608'."""
    return "".join(ch for ch in warc_date if ch.isdigit())[:14]


def write_file_index(warc_path: Path, entries: Iterable[IndexEntry]) -> Path:
    """The sorted ``<file>.cdxj`` beside a closed WARC file."""
    lines = sorted(e.cdxj_line() for e in entries)
    path = warc_path.with_name(warc_path.name + ".cdxj")
    _write_atomically(path, lines)
    return path


def merge_into_index(directory: Path, file_index: Path) -> None:
    """Merge one file's sorted lines into the directory's sorted ``index.cdxj``."""
    index = directory / INDEX_NAME
    with open(file_index, encoding="utf-8") as new:
        new_lines = [line.rstrip("\n") for line in new if line.strip()]
    if index.exists():
        with open(index, encoding="utf-8") as old:
            merged = list(heapq.merge((line.rstrip("\n") for line in old if line.strip()),
                                      new_lines))
    else:
        merged = new_lines
    _write_atomically(index, merged)


def rebuild_index(directory: Path) -> int:
    """``index.cdxj`` again from every ``*.cdxj`` of closed files; returns the line count."""
    lines: list[str] = []
    for path in sorted(Path(directory).glob("*.warc.gz.cdxj")):
        with open(path, encoding="utf-8") as fh:
            lines.extend(line.rstrip("\n") for line in fh if line.strip())
    lines.sort()
    _write_atomically(Path(directory) / INDEX_NAME, lines)
    return len(lines)


def read_index(directory: Path | str) -> Iterator[IndexEntry]:
    index = Path(directory) / INDEX_NAME
    if not index.exists():
        return
    with open(index, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield IndexEntry.from_line(line.rstrip("\n"))


class ArchiveIndex:
    """The committed records, in memory: for dedup, conditional requests and replay."""

    def __init__(self, entries: Iterable[IndexEntry] = ()) -> None:
        self.by_url: dict[str, list[IndexEntry]] = {}
        for entry in entries:
            self.add(entry)

    @classmethod
    def load(cls, directory: Path | str) -> ArchiveIndex:
        return cls(read_index(directory))

    def add(self, entry: IndexEntry) -> None:
        self.by_url.setdefault(entry.url, []).append(entry)

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_url.values())

    def captures(self, url: str) -> list[IndexEntry]:
        """Every capture of a URL, oldest first."""
        return sorted(self.by_url.get(url, []), key=lambda e: (e.timestamp, e.filename,
                                                                e.offset))

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


def _write_atomically(path: Path, lines: Iterable[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
