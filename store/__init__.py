"""The database (SQLAlchemy 2 with Alembic migrations; SQLite by default)."""

from .db import default_url, make_engine, upgrade
from .repository import Store, report_json

__all__ = ["Store", "default_url", "make_engine", "report_json", "upgrade"]
