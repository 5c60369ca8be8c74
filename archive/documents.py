"""The documents of an archive: every record that holds something a parser could read.

A document is a ``response`` (2xx), a ``revisit`` standing for one (a 304, or the same
payload again), or a ``resource`` (a browser's rendered DOM, a local file archived by
`nianbao ingest`), with what the crawl knew of it when it was fetched: the ``metadata``
record the crawl wrote about it (portal, link text, agency hint, content type). A response
that a resource record refers to (a page whose DOM the browser rendered) is left out: the
DOM stands for it, as it did in the crawl.

The body is read when asked for (``Document.body``): a caller that already holds a version
of the payload (the same URL and payload digest) never reads it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .index import ArchiveIndex
from .reader import OPEN_SUFFIX, _iter_with_offsets, load_payload, status_of
from .writer import METADATA_URI_PREFIX

#: the headers of a local file's resource record (ingest.local): its path and mtime
PATH_HEADER, MTIME_HEADER = "WARC-Nianbao-Path", "WARC-Nianbao-Mtime"
#: what a metadata record may tell about a document, besides the outcome of its parse
HINTS = ("portal", "link_text", "agency_hint", "referer", "content_type")


@dataclass
class Document:
    url: str
    content_type: str | None
    record_id: str | None  # WARC-Record-ID of the record (a revisit's own)
    record_type: str = "response"  # response | revisit | resource
    warc_file: str | None = None
    offset: int | None = None
    length: int | None = None
    status: int | None = None
    payload_digest: str | None = None
    refers_to: str | None = None
    fetched_at: datetime | None = None  # WARC-Date, naive UTC
    portal: str | None = None
    link_text: str | None = None
    agency_hint: str | None = None
    referer: str | None = None
    fetch_id: int | None = None  # the database's fetch row, when the caller has it
    extra: dict = field(default_factory=dict)  # e.g. a local file's path and mtime
    _body: bytes | None = field(default=None, repr=False)
    _load: Callable[[], bytes] | None = field(default=None, repr=False)

    @property
    def body(self) -> bytes:
        """The payload as a browser sees it: transfer and content encodings undone."""
        if self._body is None:
            self._body = self._load() if self._load is not None else b""
            self._load = None
        return self._body

    @property
    def name(self) -> str:
        """What the parser is told the document is called (a file's path has its suffix)."""
        return self.extra.get("path") or self.url


def warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def read_hints(paths: Iterable[Path]) -> tuple[dict[str, dict], set[str]]:
    """({document record id: hints from its metadata record}, {ids of responses a resource
    record stands for}) over the files."""
    hints: dict[str, dict] = {}
    replaced: set[str] = set()
    for path in paths:
        for record, _offset in _iter_with_offsets(path):
            head = record.rec_headers
            refers = head.get_header("WARC-Refers-To")
            if not refers:
                continue
            if record.rec_type == "resource":
                replaced.add(refers)
            elif record.rec_type == "metadata" and (
                    head.get_header("WARC-Target-URI") or "").startswith(METADATA_URI_PREFIX):
                try:
                    fields = json.loads(record.raw_stream.read())
                except ValueError:
                    continue
                hints[refers] = {k: fields[k] for k in HINTS if fields.get(k) is not None}
    return hints, replaced


def documents(paths: Iterable[Path | str], directory: Path | str,
              index: ArchiveIndex | None = None) -> Iterator[Document]:
    """Every document of these WARC files of ``directory``, in archive order."""
    directory = Path(directory)
    paths = [Path(p) for p in paths]
    hints, replaced = read_hints(paths)
    loaded: list[ArchiveIndex] = [index] if index is not None else []

    def index_once() -> ArchiveIndex:
        if not loaded:
            from .reader import full_index

            loaded.append(full_index(directory))
        return loaded[0]

    for path in paths:
        name = path.name.removesuffix(OPEN_SUFFIX)
        for record, offset in _iter_with_offsets(path):
            kind = record.rec_type
            if kind not in ("response", "revisit", "resource"):
                continue
            head = record.rec_headers
            record_id = head.get_header("WARC-Record-ID")
            if record_id in replaced:
                continue
            status = status_of(record)
            if kind == "response" and not (status and 200 <= status < 300):
                continue
            if kind == "revisit" and status not in (None, 304) and not 200 <= status < 300:
                continue
            http = record.http_headers
            if kind == "resource":
                content_type = record.content_type
            else:
                content_type = http.get_header("Content-Type") if http is not None else None
            found = hints.get(record_id, {})
            doc = Document(
                url=head.get_header("WARC-Target-URI"),
                content_type=found.get("content_type") or content_type,
                record_id=record_id, record_type=kind, warc_file=name, offset=offset,
                length=record.warc_length, status=status,
                payload_digest=head.get_header("WARC-Payload-Digest"),
                refers_to=head.get_header("WARC-Refers-To"),
                fetched_at=warc_date(head.get_header("WARC-Date")),
                portal=found.get("portal"), link_text=found.get("link_text"),
                agency_hint=found.get("agency_hint"), referer=found.get("referer"),
                extra={k: v for k, v in (("path", head.get_header(PATH_HEADER)),
                                         ("mtime", head.get_header(MTIME_HEADER))) if v})
            if kind == "revisit":
                doc._load = _revisit_loader(directory, name, offset, index_once)
            else:
                doc._body = record.content_stream().read()
            yield doc


def _revisit_loader(directory: Path, name: str, offset: int,
                    index: Callable[[], ArchiveIndex]) -> Callable[[], bytes]:
    return lambda: load_payload(directory, name, offset, index()).decoded
