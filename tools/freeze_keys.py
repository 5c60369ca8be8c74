"""Print today's canonical keys (parsers/data/report-schema.json) frozen for a migration.

A migration that gives ``report_current`` a column per key holds this output as text
between ``# -- frozen keys --`` and ``# -- end of frozen keys --``;
``python -m tools.freeze_keys FILE`` rewrites that block in FILE.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nianbao.parsers.schema import load_schema

BEGIN, END = "# -- frozen keys --", "# -- end of frozen keys --"


def frozen_block() -> str:
    return "\n".join([BEGIN, "KEYS = [", *(f"    {k!r}," for k in load_schema().keys), "]",
                      END])


def main(argv: list[str]) -> int:
    if not argv:
        print(frozen_block())
        return 0
    path = Path(argv[0])
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + frozen_block() + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
