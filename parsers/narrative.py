"""Counts a report states only in words (收到政府信息公开申请十二件), read with cn2an.

Used where a report prints no table: a statement that no application was received is a
note, never a 0 in the table's cells; a count in words is kept with its sentence as raw
text and the status "narrative".
"""

from __future__ import annotations

import re

from .values import Cell

NARRATIVE = "narrative"
_NUMERAL = "零〇一二两三四五六七八九十百千万"
_NONE_RECEIVED = re.compile(r"(未|没有|无)(收到|受理)[^。；，,]{0,12}申请")
_RECEIVED = re.compile(
    rf"(?:共|累计|全年)?(?:收到|受理)[^。；，,\d{_NUMERAL}]{{0,16}}申请[^。；，,\d{_NUMERAL}]{{0,4}}"
    rf"(?P<n>\d+|[{_NUMERAL}]+)\s*(?:件|个|条|份)")


def received(lines: list[str]) -> tuple[Cell | None, str | None]:
    """(cell for applications.received.total, note) from the prose."""
    for line in lines:
        if _NONE_RECEIVED.search(line):
            return None, "the report states it received no applications and prints no table"
        match = _RECEIVED.search(line)
        if match:
            number = match["n"]
            try:
                value = int(number) if number.isdigit() else _words(number)
            except (ValueError, KeyError):
                continue
            return Cell(match.group(0), value, NARRATIVE), None
    return None, None


def _words(number: str) -> int:
    import cn2an  # 0.1 s to import: loaded by the first count written in words

    return int(cn2an.cn2an(number, "smart"))
