"""A Datasette plugin loaded by `nianbao serve` (--plugins-dir): SQL functions for searching
Chinese text with SQLite FTS5.

FTS5's tokenizers split words at spaces and punctuation; Chinese has neither between
words, so a run of characters would be one token and 东丽 would not find 天津市东丽区.
The search index therefore stores each Han character as a token of its own
(``segment``), and a query is turned into phrases of single characters the same way
(``nianbao_phrase``): 东丽 matches the characters 东 丽 next to each other. Snippets are
joined up again for reading (``nianbao_unsplit``). Self-contained: Datasette loads this
file by path.
"""

from __future__ import annotations

import re

from datasette import hookimpl

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ONE_HAN = re.compile(f"([{_HAN}])")
# spaces the segmenting put between characters, and beside the snippet's 【】 marks
_JOINED = f"{_HAN}\u3000-\u303f\uff00-\uffef"
_SPACED = re.compile(f"(?<=[{_JOINED}]) (?=[{_JOINED}])")


def segment(text: str | None) -> str:
    """Each Han character a token of its own: spaces around it."""
    return re.sub(r" {2,}", " ", _ONE_HAN.sub(r" \1 ", text or "")).strip()


def phrase(query: str | None) -> str:
    """An FTS5 query: each word of the query a phrase of its characters, all required."""
    words = [w for w in (query or "").split() if w]
    return " ".join('"' + segment(w).replace('"', '""') + '"' for w in words) or '""'


def unsplit(text: str | None) -> str | None:
    return None if text is None else _SPACED.sub("", text)


@hookimpl
def prepare_connection(conn):
    conn.create_function("nianbao_phrase", 1, phrase, deterministic=True)
    conn.create_function("nianbao_unsplit", 1, unsplit, deterministic=True)
