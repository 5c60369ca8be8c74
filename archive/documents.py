"""The documents of an archive: every record that holds something a parser could read.

A document is a ``response`` (2xx), a ``revisit`` standing for one (a 304, or the same
payload again), or a ``resource`` (a browser's rendered DOM, a local file archived by
`nianbao ingest`), with what the crawl knew of it when it was fetched: the ``metadata``
record the crawl wrote about it (portal, link text, agency hint, content type). A response
that a resource record refers to (a page whose DOM the browser rendered) is left out: the
DOM stands for it, as it did in the crawl. One pass over the files: a document is held
back for up to ``WINDOW`` records, until the metadata record that follows it is read.

The body is read when asked for (``Document.body``): a caller that already holds a version
of the payload (the same URL and payload digest) never reads it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .index import ArchiveIndex
from .reader import OPEN_SUFFIX, _iter_with_offsets, load_payload, status_of
from .writer import METADATA_URI_PREFIX

#: the headers of a local file's resource record (ingest.local): its path and mtime
PATH_HEADER, MTIME_HEADER = "WARC-Nianbao-Path", "WARC-Nianbao-Mtime"


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


#: how many records after a document its metadata record may come (the crawl writes it once
#: the document is parsed: at once for a page, a few records later for a PDF parsed in a
#: worker); a document waits that long for it, then goes on without hints
WINDOW = 512


def documents(paths: Iterable[Path | str], directory: Path | str,
              index: ArchiveIndex | None = None, *, window: int = WINDOW) -> Iterator[Document]:
    """Every document of these WARC files of ``directory``, in archive order, in one pass:
    each is held back until its metadata record has been read (or ``window`` records went
    by), so at most ``window`` records' documents are in memory."""
    directory = Path(directory)
    loaded: list[ArchiveIndex] = [index] if index is not None else []

    def index_once() -> ArchiveIndex:
        if not loaded:
            from .reader import full_index

            loaded.append(full_index(directory))
        return loaded[0]

    pending: OrderedDict[str, tuple[Document, int]] = OrderedDict()
    seen = 0
    for path in (Path(p) for p in paths):
        name = path.name.removesuffix(OPEN_SUFFIX)
        for record, offset in _iter_with_offsets(path):
            seen += 1
            head = record.rec_headers
            kind = record.rec_type
            refers = head.get_header("WARC-Refers-To")
            if kind == "metadata" and refers in pending and (
                    head.get_header("WARC-Target-URI") or "").startswith(METADATA_URI_PREFIX):
                _apply_hints(pending[refers][0], record.raw_stream.read())
            elif kind == "resource" and refers in pending:
                del pending[refers]  # a rendered DOM stands for the page it was made from
            doc = _document(record, offset, name, directory, index_once)
            if doc is not None:
                pending[doc.record_id] = (doc, seen)
            while pending and seen - next(iter(pending.values()))[1] > window:
                yield pending.popitem(last=False)[1][0]
    while pending:
        yield pending.popitem(last=False)[1][0]


def _apply_hints(doc: Document, block: bytes) -> None:
    try:
        fields = json.loads(block)
    except ValueError:
        return
    doc.portal = fields.get("portal") or doc.portal
    doc.link_text = fields.get("link_text") or doc.link_text
    doc.agency_hint = fields.get("agency_hint") or doc.agency_hint
    doc.referer = fields.get("referer") or doc.referer
    doc.content_type = fields.get("content_type") or doc.content_type


def _document(record, offset: int, name: str, directory: Path,
              index: Callable[[], ArchiveIndex]) -> Document | None:
    """The document a record holds, or None (a request, a 404, a redirect, metadata)."""
    kind = record.rec_type
    if kind not in ("response", "revisit", "resource"):
        return None
    status = status_of(record)
    if kind == "response" and not (status and 200 <= status < 300):
        return None
    if kind == "revisit" and status not in (None, 304) and not 200 <= status < 300:
        return None
    head, http = record.rec_headers, record.http_headers
    if kind == "resource":
        content_type = record.content_type
    else:
        content_type = http.get_header("Content-Type") if http is not None else None
    doc = Document(
        url=head.get_header("WARC-Target-URI"), content_type=content_type,
        record_id=head.get_header("WARC-Record-ID"), record_type=kind, warc_file=name,
        offset=offset, length=record.warc_length, status=status,
        payload_digest=head.get_header("WARC-Payload-Digest"),
        refers_to=head.get_header("WARC-Refers-To"),
        fetched_at=warc_date(head.get_header("WARC-Date")),
        extra={k: v for k, v in (("path", head.get_header(PATH_HEADER)),
                                 ("mtime", head.get_header(MTIME_HEADER))) if v})
    if kind == "revisit":
        doc._load = _revisit_loader(directory, name, offset, index)
    else:
        doc._body = record.content_stream().read()
    return doc


def _revisit_loader(directory: Path, name: str, offset: int,
                    index: Callable[[], ArchiveIndex]) -> Callable[[], bytes]:
    return lambda: load_payload(directory, name, offset, index()).decoded
