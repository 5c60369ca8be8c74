"""Reading records back: one record at a known offset, or every record of a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from .writer import OPEN_SUFFIX


def read_record(directory: Path | str, warc_file: str, offset: int) -> tuple[dict, bytes]:
    """(WARC headers, decoded HTTP payload) of the record at ``offset``.

    The payload is what a browser would see: transfer and content encodings undone.
    """
    path = Path(directory) / warc_file
    if not path.exists() and Path(str(path) + OPEN_SUFFIX).exists():
        path = Path(str(path) + OPEN_SUFFIX)  # still being written by a running crawl
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return dict(record.rec_headers.headers), record.content_stream().read()


def iter_records(path: Path | str) -> Iterator[ArcWarcRecord]:
    """Every record of one WARC file, streamed."""
    with open(path, "rb") as fh:
        yield from ArchiveIterator(fh)
