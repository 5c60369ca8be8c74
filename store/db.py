"""Opening the database: SQLite by default, any SQLAlchemy URL (PostgreSQL) by choice."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text

#: the pg_advisory_xact_lock key migrations run under ("nianbao" as a number)
MIGRATION_LOCK = int.from_bytes(b"nianbao", "big")


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir) / 'nianbao.sqlite'}"


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers (export, serve) work while a crawl writes; foreign keys
            # are off by default in SQLite.
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process
            # loses no committed row (only a power cut could lose the last few), and a crawl
            # commits once per archived record.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("store") / "migrations"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration of every branch.

    Features add their tables in migrations of their own off 0001; "heads" applies them all.
    """
    config = alembic_config()
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        # SQLite has no advisory locks: processes opening a new file queue on a file lock
        from filelock import FileLock

        with FileLock(database + ".migrate.lock"):
            _upgrade(engine, config)
    else:
        _upgrade(engine, config)


def _upgrade(engine: Engine, config: Config) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several crawl workers start on one database: one migrates, the others wait
            # here (the lock ends with this transaction) and then find nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
