"""Turning fetched bytes into text: HTTP header, then <meta>, then a detector.

Chinese sites label GB18030 text as gb2312 or gbk all the time; decoding with the
superset is lossless for correct text and keeps the characters those labels miss.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

DETECTED = ["gb18030", "big5"]  # what the detector chooses between (after UTF-8)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
              "cp936": "gb18030", "euc-cn": "gb18030", "ascii": "utf-8", "us-ascii": "utf-8",
              "iso-8859-1": "cp1252", "latin-1": "cp1252"}


def _usable(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(label, _SUPERSETS.get(name, name))


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*([^\s;]+)", content_type, re.I)
    return match.group(1) if match else None


def decode(body: bytes, http_charset: str | None = None) -> tuple[str, str, str]:
    """(text, encoding, which source decided). Undecodable bytes become U+FFFD."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(name, errors="replace"), name, "bom"
    encoding = _usable(http_charset)
    if encoding:
        return body.decode(encoding, errors="replace"), encoding, "http"
    match = _META_CHARSET.search(body[:4096])
    encoding = _usable(match.group(1).decode("ascii")) if match else None
    if encoding:
        return body.decode(encoding, errors="replace"), encoding, "meta"
    try:
        return body.decode("utf-8"), "utf-8", "detected"
    except UnicodeDecodeError:
        pass
    # Not UTF-8 and undeclared: on a Chinese portal that is GB18030 (or a label of it) or,
    # on a traditional-script gateway, Big5. charset-normalizer drops any code page that
    # cannot decode the bytes, so where Big5 cannot (GB text stops it within a line or
    # two: Big5 leaves 人's pair, C8CB, undefined) its answer is GB18030 or none, which
    # means GB18030 too; it is asked only when Big5 reads the page (~0.5 ms a page).
    try:
        body.decode("big5")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace"), "gb18030", "detected"
    best = charset_normalizer.from_bytes(body, cp_isolation=DETECTED).best()
    encoding = _usable(best.encoding if best else None) or "gb18030"
    return body.decode(encoding, errors="replace"), encoding, "detected"
