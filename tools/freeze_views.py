"""Print the views' SQL as store/views.py writes it now, frozen for a migration.

A migration never imports live code: what it creates must not change when the code does.
A migration that (re)creates the views holds this output as text between the markers
``# -- frozen views --`` and ``# -- end of frozen views --``;
``python -m tools.freeze_views FILE`` rewrites that block in FILE, and
tests/test_migrations.py checks that the newest such migration equals the live SQL.
"""

from __future__ import annotations

import sys

from nianbao.parsers.schema import load_schema
from nianbao.store.views import view_sql

from . import frozen

BEGIN, END = "# -- frozen views --", "# -- end of frozen views --"


def frozen_block() -> str:
    lines = [BEGIN, "VIEWS = ["]
    for name, select in view_sql(list(load_schema().keys)):
        lines.append(f"    ({name!r},")
        lines.append(f"     {select!r}),")
    lines += ["]", END]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    return frozen.main(argv, BEGIN, END, frozen_block)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
