"""Print today's canonical keys (parsers/data/report-schema.json) frozen for a migration.

A migration that gives ``report_current`` a column per key holds this output as text
between ``# -- frozen keys --`` and ``# -- end of frozen keys --``;
``python -m tools.freeze_keys FILE`` rewrites that block in FILE.
"""

from __future__ import annotations

import sys

from nianbao.parsers.schema import load_schema

from . import frozen

BEGIN, END = "# -- frozen keys --", "# -- end of frozen keys --"


def frozen_block() -> str:
    return "\n".join([BEGIN, "KEYS = [", *(f"    {k!r}," for k in load_schema().keys), "]",
                      END])


def main(argv: list[str]) -> int:
    return frozen.main(argv, BEGIN, END, frozen_block)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
