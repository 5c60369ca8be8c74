"""Finish the WARC files a killed crawl left open.

A crawl that dies (SIGKILL, power loss) leaves its current file under its ``.open`` name:
every completed record is readable, the last one may be cut short, and none of them is in
the index. The next writer on the directory finishes such a file the way ``close()`` would
have: it cuts the unfinished tail, gives the file its final name and indexes its records,
so they replay from the index and later crawls can revisit them. Database rows already
name the final file name, so they resolve before and after.

A file whose writer is still running (same host, process alive) is left alone.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from .index import ArchiveIndex
from .reader import index_entries, scan_file
from .writer import OPEN_SUFFIX

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecoveredFile:
    path: Path  # the final name
    records: int
    dropped_bytes: int  # the unfinished record's bytes that were cut


def recover_open_files(directory: Path | str) -> list[RecoveredFile]:
    """Finish every ``.open`` WARC file in ``directory`` whose writer is gone."""
    recovered = []
    index = None
    # one process at a time: two crawls starting together must not both cut one file
    with FileLock(str(Path(directory) / "recovery.lock")):
        for path in sorted(Path(directory).glob("*.warc*" + OPEN_SUFFIX)):
            if not path.exists() or _writer_alive(path):
                continue
            index = index or ArchiveIndex(directory)
            recovered.append(_finish(path, index))
    if index is not None:
        index.close()
    return recovered


# <prefix>-<crawl time>-<serial>-<pid>-<host>.warc[.gz]: the host may hold hyphens itself
_NAME = re.compile(r"^.+-\d{14}-\d{5}-(?P<pid>\d+)-(?P<host>[^.]+)\.warc")


def _writer_alive(path: Path) -> bool:
    """Whether the process named in the file name still runs (on this host)."""
    match = _NAME.match(path.name)
    if match is None:
        return False  # not a name this writer gives: nobody is writing it
    pid, host = int(match["pid"]), match["host"]
    if host != socket.gethostname().split(".")[0]:
        # another machine's file on a shared disk: only that machine can tell
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def _finish(path: Path, index: ArchiveIndex) -> RecoveredFile:
    scan = scan_file(path)
    dropped = scan.size - scan.complete_to
    if dropped:
        # The tail is part of a record that was never finished: no row names it and no
        # reader can use it. Cutting it makes the file valid for every WARC tool.
        with open(path, "r+b") as fh:
            fh.truncate(scan.complete_to)
            os.fsync(fh.fileno())
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    os.replace(path, final)
    index.commit_file(final, index_entries(final))
    logger.warning("finished %s left open by a stopped crawl: %d complete records kept, "
                   "%d bytes of an unfinished record cut", final.name, scan.records, dropped)
    return RecoveredFile(final, scan.records, dropped)
