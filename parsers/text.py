"""Text normalisation for matching labels and reading numbers.

Matching works on a normalised copy; the raw text is always kept for storage. NFKC folds
full-width digits and brackets and the Kangxi radicals some PDF fonts emit; OpenCC converts
traditional characters (reports from some portals are published in traditional script).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")

# Pinyin glosses that a broken converter inserted after a character: 區(qū), 報(bào).
_PINYIN_GLOSS = re.compile(r"\((?:[a-zA-Z\u00c0-\u024f\u01cd-\u01dc]|[\u0300-\u036f])+\)")
_SPACE = re.compile(r"\s+")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")


def _fast_table() -> dict[int, str]:
    """NFKC, character by character, for the blocks Chinese documents use that NFKC changes:
    full-width forms, the ideographic space, Kangxi and supplementary radicals, enclosed and
    compatibility characters. Python's normalize costs ~0.5 µs a character on CJK text;
    str.translate with this table a few ns."""
    table = {}
    for start, end in ((0x00A0, 0x00FF), (0x2000, 0x206F), (0x2460, 0x24FF), (0x2E80, 0x2FDF),
                       (0x3000, 0x3000), (0x3200, 0x33FF), (0xF900, 0xFAFF), (0xFE30, 0xFE6F),
                       (0xFF00, 0xFFEF)):
        for code in range(start, end + 1):
            folded = unicodedata.normalize("NFKC", chr(code))
            if folded != chr(code):
                table[code] = folded
    return table


_NFKC = _fast_table()
_NFKC_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_NFKC)) + "]")


def _fold(match: re.Match) -> str:
    return _NFKC[ord(match.group())]


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), fast on Chinese text."""
    if text.isascii():
        return text  # every ASCII character is its own NFKC form
    text = _NFKC_CHARS.sub(_fold, text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize(
        "NFKC", text)


def _strip_markup(text: str) -> str:
    """Word bookmarks, then pinyin glosses, out (a substring test spares most text the regex)."""
    if "[bookmark:" in text:
        text = _BOOKMARK.sub("", text)
    if "(" in text:
        text = _PINYIN_GLOSS.sub("", text)
    return text


def clean(text: str) -> str:
    """Readable form: NFKC, no pinyin glosses or Word bookmarks, simplified, single spaces."""
    text = _strip_markup(nfkc(text))
    text = _T2S.convert(text)
    return _SPACE.sub(" ", text).strip()


def clean_each(texts: list[str]) -> list[str]:
    """[clean(t) for t in texts], with one OpenCC call for the lot instead of one a text
    (a call costs ~10 µs however short the text). Each text is folded and stripped of
    markup on its own (a Word bookmark cannot run from one into the next); only the
    conversion is shared, split again at newlines.
    """
    folded = [_strip_markup(nfkc(text)) for text in texts]
    if any("\n" in text for text in folded):
        return [clean(text) for text in texts]  # the newline cannot mark where texts end
    converted = _T2S.convert("\n".join(folded)).split("\n") if folded else []
    return [_SPACE.sub(" ", text).strip() for text in converted]


def clean_lines(lines: list[str]) -> list[str]:
    """`clean` for the lines of a page: line breaks inside a line become spaces, and the
    lines share one OpenCC call (`clean_each`)."""
    return clean_each([line.replace("\n", " ").replace("\r", " ") for line in lines])


@lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """Matching form of a label: `clean` without any white space (labels break anywhere)."""
    return _SPACE.sub("", clean(text))


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
