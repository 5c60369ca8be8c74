"""Local files (a researcher's folder of downloaded PDFs) as archived documents.

Each file is first written to the archive as a WARC ``resource`` record: its URL is the
file's ``file://`` URI, and two headers say where it came from (``WARC-Nianbao-Path``, the
path as given, and ``WARC-Nianbao-Mtime``, its modification time, UTC). Then it is a
document like any crawled one, and every value parsed from it traces to that record.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from nianbao.archive.documents import MTIME_HEADER, PATH_HEADER, Document
from nianbao.archive.writer import WarcFileWriter


class Unreadable(Exception):
    """A file that could not be read (the document carries it as its parse outcome)."""


def files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every file named, and every file under each folder named (sorted; hidden names
    skipped), each once."""
    seen: set[Path] = set()
    for path in paths:
        found = sorted(p for p in path.rglob("*") if p.is_file() and not any(
            part.startswith(".") for part in p.relative_to(path).parts)) \
            if path.is_dir() else [path]
        for item in found:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                yield item


def archive_file(writer: WarcFileWriter, path: Path) -> Document:
    """Write one file as a resource record; the document that stands for it."""
    stat = path.stat()
    body = path.read_bytes()
    mtime = datetime.fromtimestamp(stat.st_mtime, UTC)
    now = datetime.now(UTC)
    url = path.resolve().as_uri()
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    location = writer.write_resource(url, body, content_type, fetched_at=now, extra_headers={
        PATH_HEADER: str(path), MTIME_HEADER: mtime.isoformat().replace("+00:00", "Z")})
    return Document(
        url=url, content_type=content_type, record_id=location.record_id,
        record_type="resource", warc_file=location.warc_file, offset=location.offset,
        length=location.length, payload_digest=location.payload_digest,
        fetched_at=now.replace(tzinfo=None),
        extra={"path": str(path), "mtime": mtime.isoformat().replace("+00:00", "Z")},
        _body=body)
