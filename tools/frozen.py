"""What the freeze_* tools share: print a frozen block, or rewrite it in a migration file.

A migration never imports live code, so what it needs of the code (the views' SQL, the
canonical keys) is written into it as text between two marker lines; the tools make that
text from the live code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def rewrite(path: Path, begin: str, end: str, block: str) -> None:
    """Replace the text between the marker lines ``begin`` and ``end`` (both included)."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(head + block + tail, encoding="utf-8")


def main(argv: list[str], begin: str, end: str, block: Callable[[], str]) -> int:
    """No argument: print the block; a FILE: rewrite the block in it."""
    if not argv:
        print(block())
    else:
        rewrite(Path(argv[0]), begin, end, block())
    return 0
