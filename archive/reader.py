"""Reading records back: one record at a known offset, every record of a file, or the
payload of a URL as archived at a time (revisits resolved to the record they refer to)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from .index import ArchiveIndex
from .records import IndexEntry, index_mime, warc_timestamp

OPEN_SUFFIX = ".open"


def resolve_path(directory: Path | str, warc_file: str) -> Path:
    """The file's path: its final name, or its ``.open`` name while (or if) never closed."""
    path = Path(directory) / warc_file
    if not path.exists() and Path(str(path) + OPEN_SUFFIX).exists():
        path = Path(str(path) + OPEN_SUFFIX)
    return path


def read_headers(directory: Path | str, warc_file: str, offset: int) -> dict[str, str]:
    """The WARC headers of the record at ``offset``."""
    with open(resolve_path(directory, warc_file), "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        return dict(record.rec_headers.headers)


@dataclass
class StoredPayload:
    headers: dict[str, str]  # WARC headers of the record asked for
    status: int | None
    http_headers: list[tuple[str, str]]  # of the record asked for (a revisit's own)
    raw: bytes  # the payload as stored (content-encoded, as sent)
    decoded: bytes  # content and transfer encodings undone
    payload_record: dict[str, str]  # WARC headers of the record the payload came from
    payload_http: list[tuple[str, str]]  # HTTP headers of that record


def load_payload(directory: Path | str, warc_file: str, offset: int,
                 index: ArchiveIndex | None = None) -> StoredPayload:
    """The payload of a response, revisit or resource record; a revisit's comes from the
    record it refers to (found in the CDXJ index of the directory)."""
    with open(resolve_path(directory, warc_file), "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        headers = dict(record.rec_headers.headers)
        http = record.http_headers
        status = status_of(record)
        http_headers = list(http.headers) if http is not None else []
        if record.rec_type != "revisit":
            raw = record.raw_stream.read()
            fh.seek(offset)
            again = next(iter(ArchiveIterator(fh)))
            return StoredPayload(headers, status, http_headers, raw,
                                 again.content_stream().read(), headers, http_headers)
    index = index if index is not None else ArchiveIndex.load(directory)
    target = headers.get("WARC-Refers-To-Target-URI") or headers["WARC-Target-URI"]
    original = index.original(target, headers.get("WARC-Payload-Digest", ""))
    if original is None:
        raise LookupError(f"revisit {headers.get('WARC-Record-ID')} refers to a record "
                          "that is not in the index")
    orig = load_payload(directory, original.filename, original.offset, index)
    return StoredPayload(headers, status, http_headers, orig.raw, orig.decoded, orig.headers,
                         orig.payload_http)


def status_of(record: ArcWarcRecord) -> int | None:
    """The HTTP status a response or revisit record stands for.

    A server-not-modified revisit is written without an HTTP block (see the writer), so its
    status, 304, is what its profile says.
    """
    if record.rec_type not in ("response", "revisit"):
        return None
    http = record.http_headers
    code = http.get_statuscode() if http is not None else None
    if code:
        return int(code)
    profile = record.rec_headers.get_header("WARC-Profile") or ""
    return 304 if profile.endswith("/server-not-modified") else None


def read_record(directory: Path | str, warc_file: str, offset: int) -> tuple[dict, bytes]:
    """(WARC headers, decoded HTTP payload) of the record at ``offset``.

    The payload is what a browser would see: transfer and content encodings undone; for a
    revisit, the payload of the record it refers to.
    """
    stored = load_payload(directory, warc_file, offset)
    return stored.headers, stored.decoded


def iter_records(path: Path | str) -> Iterator[ArcWarcRecord]:
    """Every complete record of one WARC file, streamed.

    A file a killed crawl left behind ends in a partial record: reading stops before it
    (``scan_file`` says where and why).
    """
    for record, _offset in _iter_with_offsets(path):
        yield record


def _iter_with_offsets(path: Path | str) -> Iterator[tuple[ArcWarcRecord, int]]:
    """Complete records with their offsets; ``record.warc_length`` is its length in the file.

    A record is complete when its block is as long as its Content-Length says and, for the
    last record of a gzip'd file, its gzip member ends properly.
    """
    path = Path(path)
    pending: tuple[ArcWarcRecord, int] | None = None
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        records = iter(iterator)
        while True:
            try:
                record = next(records)
                # read the block now, inside the guard: a truncated member fails here
                block = record.raw_stream.read()
                short = getattr(record.raw_stream, "limit", 0) > 0
                offset = iterator.get_record_offset()
                record.warc_length = iterator.get_record_length()  # bytes in the file
            except StopIteration:
                break
            except Exception:  # noqa: BLE001 - a partial tail ends the file
                if pending is not None:
                    yield pending
                return
            if record.rec_type is None or short:
                break
            record.raw_stream = _Buffered(block)
            if pending is not None:
                yield pending
            pending = (record, offset)
        if pending is not None and _member_complete(path, pending[1], pending[0].warc_length):
            yield pending


def _member_complete(path: Path, offset: int, length: int) -> bool:
    """Whether the gzip member at ``offset`` ends (always true for an uncompressed file)."""
    if not path.name.removesuffix(OPEN_SUFFIX).endswith(".gz"):
        return True
    import zlib

    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflater.decompress(data)
    except zlib.error:
        return False
    return inflater.eof


class _Buffered:
    """A fully read record block that still reads like a stream."""

    def __init__(self, data: bytes) -> None:
        import io

        self._io = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._io.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._io.readline(size)

    def close(self) -> None:
        self._io.close()


@dataclass
class FileScan:
    path: Path
    records: int  # complete records
    complete_to: int  # offset just after the last complete record
    size: int
    truncated: bool  # bytes after the last complete record that are not a record


def scan_file(path: Path | str) -> FileScan:
    """How much of a WARC file is complete records (for files a crash left ``.open``)."""
    path = Path(path)
    count, end = 0, 0
    for record, offset in _iter_with_offsets(path):
        count += 1
        end = offset + record.warc_length
    size = path.stat().st_size
    return FileScan(path, count, end, size, end < size)


def warc_files(directory: Path | str, *, include_open: bool = True) -> list[Path]:
    """The WARC files of a directory, oldest first (their names begin with the crawl time)."""
    directory = Path(directory)
    files = list(directory.glob("*.warc.gz")) + list(directory.glob("*.warc"))
    if include_open:
        files += list(directory.glob("*.warc.gz" + OPEN_SUFFIX))
        files += list(directory.glob("*.warc" + OPEN_SUFFIX))
    return sorted(files, key=lambda p: p.name)


__all__ = ["FileScan", "IndexEntry", "StoredPayload", "iter_records", "load_payload",
           "read_headers", "read_record", "resolve_path", "scan_file", "warc_files"]


def index_entries(path: Path | str) -> Iterator[IndexEntry]:
    """CDXJ entries of every complete response/revisit/resource record of one file."""
    path = Path(path)
    name = path.name.removesuffix(OPEN_SUFFIX)
    for record, offset in _iter_with_offsets(path):
        if record.rec_type not in ("response", "revisit", "resource"):
            continue
        head, http = record.rec_headers, record.http_headers
        if record.rec_type == "resource":
            content_type, status = record.content_type, None
        else:
            content_type = http.get_header("Content-Type") if http is not None else None
            status = http.get_statuscode() if http is not None else None
        yield IndexEntry(head.get_header("WARC-Target-URI"),
                         warc_timestamp(head.get_header("WARC-Date")), name, offset,
                         record.warc_length, head.get_header("WARC-Payload-Digest"),
                         index_mime(record.rec_type, content_type), status, record.rec_type)


def full_index(directory: Path | str) -> ArchiveIndex:
    """The committed index plus the records of files a killed crawl left ``.open``."""
    index = ArchiveIndex.load(directory)
    for path in warc_files(directory):
        if path.name.endswith(OPEN_SUFFIX):
            for entry in index_entries(path):
                index.add(entry)
    return index
