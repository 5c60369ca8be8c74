"""The title and the readable text of an archived page or document, for search: the WACZ's
pages.jsonl (ReplayWeb.page's search) and serve's full-text index.

The parsers' own readers do the reading (charset detection, PDF text layers, DOCX), so a
page is searched as it was parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TEXT = 200_000  # characters kept per page: enough for any report, bounded for a bad one


@dataclass
class PageText:
    title: str | None
    text: str


def page_text(body: bytes, content_type: str | None = None, url: str | None = None) -> PageText:
    """Title and text of a payload; empty text for what cannot be read (never raises)."""
    from nianbao import parsers

    try:
        kind = parsers.sniff(body, content_type, url)
        if (kind not in ("html", "pdf", "docx", "text")
                or len(body) > parsers.MAX_BYTES.get(kind, 0)):
            return PageText(None, "")
        doc = parsers.read_document(body, kind, content_type)
    except Exception:  # a page search cannot read is a page without text, not a failure
        return PageText(None, "")
    # table cells (tokens are (text, …) tuples) after the prose, for words only in tables
    cells = " ".join(t[0] for t in doc.tokens if t[0]) if kind != "text" else ""
    text = "\n".join(doc.lines)
    if cells:
        text += "\n" + cells
    return PageText(doc.title, text[:MAX_TEXT])
