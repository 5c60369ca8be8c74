"""What the spider hands on: fetched documents, and failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class DocumentItem:
    """A fetched page or file that may hold an annual report."""

    portal: str
    url: str
    status: int
    content_type: str | None
    body: bytes  # decoded from any content-encoding, otherwise as received
    warc_record_id: str | None  # the response record this body was archived in
    link_text: str | None = None
    referer: str | None = None
    agency_hint: str | None = None
    frontier_key: str | None = None  # settled in the frontier once the item is stored
    #: the fetch row of the record the body was archived in (``request.meta["fetch"]``, set
    #: when the record is written): it travels with the document to the database
    fetch: Fetched | None = None
    # A report page whose tables are pictures: the pictures' bytes by URL (all archived
    # too), for the parser's OCR (crawler.requisites)
    images: dict[str, bytes] | None = None


@dataclass
class Fetched:
    """A fetch row as written: its id, and what ingest needs to know of the record."""

    fetch_id: int
    record_id: str
    warc_file: str
    offset: int
    length: int
    record_type: str
    payload_digest: str | None
    refers_to: str | None
    status: int | None
    fetched_at: datetime | None  # naive UTC


@dataclass
class FailureItem:
    """A request that failed for good (after retries): recorded, and the crawl goes on."""

    portal: str
    url: str
    stage: str  # fetch | blocked
    message: str
    frontier_key: str | None = None
