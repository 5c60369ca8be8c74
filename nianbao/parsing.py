"""Documents parsed in worker processes, off the crawl's event loop.

Reading a PDF takes 15-25 ms and a .doc or .wps a second of LibreOffice. On the event
loop that time would stall every host's downloads and skew their spacing; in a worker
process it runs on another core while the crawl goes on. A worker is also a fence: a
document that hangs the parser is cut off after a time limit, and one that crashes it
(a segfault in a C library, the kernel's OOM killer) takes down only the worker. Either
way the document gets a recorded error and the pool starts afresh.

HTML and plain text stay on the event loop: they read in a fraction of a millisecond,
less than handing them to a worker and back costs (measured on `bench/crawl.py`: a crawl
of 2,000 small pages ran 10-35% slower with every page sent to a worker). PDF, DOCX and
.doc/.wps go to the pool. ``processes = 0`` parses everything on the event loop.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from nianbao import parsers

INLINE_KINDS = ("html", "text")  # fast to read: parsed on the event loop
DEFAULT_TIMEOUT = 300.0  # seconds: LibreOffice's own limit is 120 s, PDFs take milliseconds


class ParserGone(parsers.ParseError):
    """The worker parsing a document hung past the time limit or died."""


def _worker_init() -> None:
    if sys.platform.startswith("linux"):
        # A crawl killed with SIGKILL cannot stop its workers; the kernel does, when the
        # parent goes (PR_SET_PDEATHSIG = 1).
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    # Ctrl-C is the crawl's to handle (a graceful stop); the workers finish their document.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parse(body: bytes, content_type: str | None, name: str | None,
           hints: parsers.Hints | None, images: dict[str, bytes] | None = None) -> parsers.Report:
    return parsers.parse_document(body, content_type=content_type, name=name, hints=hints,
                                  images=images.get if images else None)


class ParserPool:
    def __init__(self, processes: int = 1, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.processes = processes
        self.timeout = timeout
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the crawl process has threads (DNS, the browser driver), and
            # a forked child could inherit a lock one of them held
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init)
        return self._executor

    async def parse(self, body: bytes, *, content_type: str | None = None,
                    name: str | None = None,
                    hints: parsers.Hints | None = None,
                    images: dict[str, bytes] | None = None) -> parsers.Report:
        """``parsers.parse_document`` in a worker; raises what it raises, or ParserGone.
        ``images``: a page's pictures of tables by URL (read by OCR: never inline)."""
        if self.processes <= 0 or (not images
                                   and parsers.sniff(body, content_type, name) in INLINE_KINDS):
            return _parse(body, content_type, name, hints, images)
        future = self._pool().submit(_parse, body, content_type, name, hints, images)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            self._restart()
            raise ParserGone(f"parsing took over {self.timeout:g} s: the worker was "
                             "stopped") from None
        except BrokenProcessPool as exc:
            self._restart()
            raise ParserGone(f"the parser process died ({exc})") from None

    def _restart(self) -> None:
        """Stop the workers (one may be stuck in a document) and start anew on next use.

        Documents other workers were parsing fail with BrokenProcessPool and are recorded
        as errors too: a rare case, and the document is in the archive for `reparse`.
        """
        executor, self._executor = self._executor, None
        if executor is None:
            return
        # The pool's workers are the only multiprocessing children a crawl starts (the
        # browser and LibreOffice are plain subprocesses), and the executor has no public
        # way to stop a busy worker.
        stopped = multiprocessing.active_children()
        for process in stopped:
            process.kill()
        for process in stopped:
            process.join(10)
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
