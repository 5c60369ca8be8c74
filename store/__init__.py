"""The database (SQLAlchemy 2 with Alembic migrations; SQLite by default)."""

from .db import SchemaError, check_current, default_url, make_engine, upgrade
from .repository import Store, report_json

__all__ = ["SchemaError", "Store", "check_current", "default_url", "make_engine", "report_json",
           "upgrade"]
