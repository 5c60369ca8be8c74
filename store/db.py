"""Opening the database: SQLite by default, any SQLAlchemy URL (PostgreSQL) by choice."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

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
    config.set_main_option("script_location", str(resources.files("nianbao.store") / "migrations"))
    return config


# Before 0003 the four 0002 migrations were branches off 0001, and a database upgraded to
# "heads" holds all four in alembic_version. They are a chain now, in this order.
_OLD_BRANCHES = ("0002_archive", "0002_changes", "0002_report_status", "0002_views")


class SchemaError(RuntimeError):
    """The database's schema is not the one this nianbao writes: `nianbao db upgrade`."""


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def _linearise(connection: Connection) -> None:
    """Stamp a database made when the 0002 migrations were branches at the last one of the
    chain that it (and every one before it) holds, so the chain continues from there."""
    stored = current_revisions(connection)
    if len(stored) < 2 or not set(stored) <= set(_OLD_BRANCHES):
        return
    reached = None
    for revision in _OLD_BRANCHES:
        if revision not in stored:
            break
        reached = revision
    if reached is not None:
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                           {"v": reached})


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (the history is one line)."""
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
        _linearise(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def check_current(engine: Engine) -> None:
    """Raise SchemaError unless the database is at the newest migration (reads only)."""
    with engine.connect() as connection:
        stored = current_revisions(connection)
        if not stored and not inspect(connection).has_table("alembic_version"):
            raise SchemaError("the database has no nianbao tables")
    if stored != (head_revision(),):
        raise SchemaError(f"the database's schema is at {', '.join(stored) or 'nothing'}, "
                          f"this nianbao needs {head_revision()}: run `nianbao db upgrade`")
