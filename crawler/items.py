"""What the spider hands on: fetched documents, and failures."""

from __future__ import annotations

from dataclasses import dataclass


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
    # A report page whose tables are pictures: the pictures' bytes by URL (all archived
    # too), for the parser's OCR (crawler.requisites)
    images: dict[str, bytes] | None = None


@dataclass
class FailureItem:
    """A request that failed for good (after retries): recorded, and the crawl goes on."""

    portal: str
    url: str
    stage: str  # fetch | blocked
    message: str
    frontier_key: str | None = None
