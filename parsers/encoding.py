"""Turning fetched bytes into text: HTTP header, then <meta>, then a detector.

Chinese sites label GB18030 text as gb2312 or gbk all the time; decoding with the
superset is lossless for correct text and keeps the characters those labels miss.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

DETECTED = ["gb18030", "big5"]  # what the detector chooses between (after UTF-8)
_BIG5_SLIPS = 8  # undefined Big5 pairs a Big5 page may have (corrupt bytes) before it is GB
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
    # on a traditional-script gateway, Big5. Big5 leaves undefined the byte pairs of many
    # of GB's commonest characters (人 C8CB among them) and every GBK lead byte below A1,
    # so valid GB18030 with more than a handful of pairs Big5 cannot read is GB18030 (a
    # Big5 page with a corrupt byte or two has a few). The rest goes to the detector,
    # which costs ~0.5 ms a page asked about those two code pages.
    try:
        text = body.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        # The first few KB almost always tell (the cut may split one pair); all of it
        # where they do not.
        for sample in (body[:8192], body) if len(body) > 8192 else (body,):
            if sample.decode("big5", errors="replace").count("\ufffd") > _BIG5_SLIPS:
                return text, "gb18030", "detected"
    best = charset_normalizer.from_bytes(body, cp_isolation=DETECTED).best()
    encoding = _usable(best.encoding if best else None) or "gb18030"
    return body.decode(encoding, errors="replace"), encoding, "detected"
