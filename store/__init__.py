"""The database (SQLAlchemy 2 with Alembic migrations; SQLite by default).

The names below load on first use (PEP 562): a command's start does not pay for the ORM
and Alembic before it needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"SchemaError": "db", "check_current": "db", "default_url": "db",
            "make_engine": "db", "upgrade": "db", "Store": "repository",
            "report_json": "repository"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
