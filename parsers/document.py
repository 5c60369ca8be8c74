"""The reading of a document that every format's reader produces."""

from __future__ import annotations

from dataclasses import dataclass, field

from .tables import Token


@dataclass
class Document:
    kind: str  # "html" | "docx" | "pdf" | "doc" | "wps" | "text"
    lines: list[str]  # the prose in reading order, cleaned (metadata is searched here)
    tokens: list[Token]  # table cells (and, for text, every line) in reading order
    title: str | None = None  # as the page or file states it
    breadcrumb: str | None = None
    publisher: str | None = None  # who the page says published it (ContentSource, 发布机构)
    published: str | None = None  # YYYY-MM-DD when the page's metadata says
    encoding: str | None = None
    encoding_source: str | None = None  # "http" | "meta" | "bom" | "detected"
    notes: list[str] = field(default_factory=list)
    image_only: bool = False  # a scan: pictures of pages and (almost) no text
    unmapped_text: bool = False  # a text layer whose fonts map no glyph to Unicode
