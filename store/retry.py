"""Database writes that outlast a short outage: a PostgreSQL restart, SQLite's write lock
held by another process.

:class:`RetryingStore` wraps a :class:`store.Store`: each call of a public method is one
unit, run again from the start (after a rollback) when it fails for a reason that may pass
(a lost connection, ``database is locked``), with backoff, until ``seconds`` have gone by.
Then it gives up: ``on_unavailable`` is told once (the crawl stops, "interrupted") and that
call and every later one raise :class:`DatabaseUnavailable` at once.

The waiting blocks the calling thread on purpose: in a crawl that is Scrapy's event loop,
so nothing is fetched while the database is away, and no fetch goes without its row.
Errors that would only repeat (a constraint, a bad statement) are raised at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from sqlalchemy import exc

logger = logging.getLogger(__name__)

DEFAULT_SECONDS = 120.0
FIRST_WAIT = 0.25
MAX_WAIT = 5.0


class DatabaseUnavailable(Exception):
    """The database did not take a write within the retry time."""


def retryable(error: BaseException) -> bool:
    """Whether an error may pass by itself: the connection, not the statement."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.OperationalError | exc.InterfaceError | exc.DisconnectionError):
        text = str(getattr(error, "orig", error)).lower()
        # SQLite: locked/busy; PostgreSQL and psycopg: connection gone, server shutting down
        return not any(word in text for word in ("syntax error", "no such table",
                                                 "no such column", "readonly database"))
    return False


class RetryingStore:
    """A Store whose public methods are retried across a lost connection (see module)."""

    def __init__(self, store: Any, *, seconds: float = DEFAULT_SECONDS,
                 on_unavailable: Callable[[str], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.seconds = seconds
        self.on_unavailable = on_unavailable
        self.unavailable: str | None = None
        self.retries = 0
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def open(cls, factory: Callable[[], Any], *, seconds: float = DEFAULT_SECONDS,
             on_unavailable: Callable[[str], None] | None = None) -> RetryingStore:
        """A RetryingStore around ``factory()`` (``Store(url)``), itself retried: opening
        connects, and the database may be away at that moment too."""
        opener = cls(None, seconds=seconds, on_unavailable=on_unavailable)
        return cls(opener.run(factory, "connecting"), seconds=seconds,
                   on_unavailable=on_unavailable)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.store, name)
        if name.startswith("_") or not callable(attribute) or name in ("close",):
            return attribute

        @wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self.run(lambda: getattr(self.store, name)(*args, **kwargs), name)
        return call

    def __enter__(self) -> RetryingStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.store.close()

    def run(self, operation: Callable[[], Any], what: str = "write") -> Any:
        """``operation()``, retried as described in the module docstring."""
        if self.unavailable:
            raise DatabaseUnavailable(self.unavailable)
        deadline = self._clock() + self.seconds
        wait = FIRST_WAIT
        while True:
            try:
                return operation()
            except Exception as error:
                if not retryable(error):
                    raise
                self._reset()
                if self._clock() + wait > deadline:
                    line = str(getattr(error, "orig", error)).strip().splitlines()
                    self.unavailable = (f"the database took no write for {self.seconds:g} s "
                                        f"({what}: {line[0] if line else type(error).__name__})")
                    logger.error("%s", self.unavailable)
                    if self.on_unavailable is not None:
                        self.on_unavailable(self.unavailable)
                    raise DatabaseUnavailable(self.unavailable) from error
                self.retries += 1
                logger.warning("database write failed (%s), retrying in %.2g s",
                               str(getattr(error, "orig", error)).strip().splitlines()[0]
                               if str(error).strip() else type(error).__name__, wait)
                self._sleep(wait)
                wait = min(wait * 2, MAX_WAIT)

    def _reset(self) -> None:
        """Undo the failed unit: the session's transaction, and any connection that may be
        dead (a restarted server) so the next attempt gets a new one."""
        session = getattr(self.store, "session", None)
        if session is not None:
            try:
                session.rollback()
            except Exception:  # noqa: BLE001 - the connection under it may be gone
                session.close()
        autocommit = getattr(self.store, "_autocommit", None)
        if autocommit is not None:
            try:
                autocommit.close()
            except Exception:  # noqa: BLE001
                pass
            self.store._autocommit = None
        engine = getattr(self.store, "engine", None)
        if engine is not None:
            engine.dispose()
