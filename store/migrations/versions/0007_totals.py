"""per-group totals of report_current, kept by triggers

Revision ID: 0007_totals
Revises: 0006_views_current
Create Date: 2026-12-04

Creates ``report_totals`` (store/models.py says what it is): one row per year × province ×
agency type × format, with the number of reports and, per canonical key (frozen in
0005_current), the sum of its values and how many reports have one. Triggers on
``report_current`` add rows' values when they are inserted and take them away when they
are deleted (an update does both), in the writer's transaction, whatever writes it: row
triggers on SQLite, statement triggers over transition tables on PostgreSQL. The table is
filled from ``report_current`` as it stands.

The unique index that finds a row's group spells NULL out (``year IS NULL, COALESCE(year,
0)``) so that a missing province is its own group and never the same as an empty one.
"""

from alembic import op

revision = "0007_totals"
down_revision = "0006_views_current"
branch_labels = None
depends_on = None

DIMENSIONS = (("year", "0"), ("province", "''"), ("agency_type", "''"), ("format", "''"))


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _keys() -> list[str]:
    return op.get_context().script.get_revision("0005_current").module.KEYS


def _group() -> str:
    return ", ".join(f"({d} IS NULL), COALESCE({d}, {empty})" for d, empty in DIMENSIONS)


def _add(keys: list[str], sign: int, *, row: str | None = None,
         table: str | None = None) -> str:
    """The statement that adds (+1) or takes away (-1) one report_current row (``row``:
    NEW or OLD in a row trigger) or every row of ``table``, grouped."""
    dims = [d for d, _ in DIMENSIONS]
    names = [*dims, "reports"]
    if row is not None:
        values = [f"{row}.{d}" for d in dims] + [str(sign)]
    else:
        values = [*dims, f"{sign} * COUNT(*)"]
    updates = ["reports = report_totals.reports + excluded.reports"]
    for key in keys:
        total, count = q("sum." + key), q("n." + key)
        names += [total, count]
        if row is not None:
            values += [f"{sign} * COALESCE({row}.{q(key)}, 0)",
                       f"CASE WHEN {row}.{q(key)} IS NULL THEN 0 ELSE {sign} END"]
        else:
            values += [f"{sign} * COALESCE(SUM({q(key)}), 0)", f"{sign} * COUNT({q(key)})"]
        updates += [f"{total} = report_totals.{total} + excluded.{total}",
                    f"{count} = report_totals.{count} + excluded.{count}"]
    # (SQLite reads ON after a bare FROM as a join's: WHERE true keeps it the upsert's)
    source = (f"VALUES ({', '.join(values)})" if row is not None else
              f"SELECT {', '.join(values)} FROM {table} WHERE true GROUP BY {', '.join(dims)}")
    return (f"INSERT INTO report_totals ({', '.join(names)}) {source} "
            f"ON CONFLICT ({_group()}) DO UPDATE SET {', '.join(updates)}")


def upgrade() -> None:
    keys = _keys()
    columns = ", ".join(f"{q('sum.' + k)} FLOAT NOT NULL DEFAULT 0, "
                        f"{q('n.' + k)} INTEGER NOT NULL DEFAULT 0" for k in keys)
    op.execute("CREATE TABLE report_totals (year INTEGER, province VARCHAR(50), "
               "agency_type VARCHAR(20), format VARCHAR(10), "
               f"reports INTEGER NOT NULL DEFAULT 0, {columns})")
    op.execute(f"CREATE UNIQUE INDEX ux_report_totals_group ON report_totals ({_group()})")
    op.execute(_add(keys, 1, table="report_current"))
    if op.get_bind().dialect.name == "postgresql":
        # once per statement, over its rows at once (transition tables): a row trigger in
        # PL/pgSQL cost a quarter of ingest's time (bench/scale.py --store)
        op.execute(
            "CREATE FUNCTION report_totals_follow() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF TG_OP <> 'INSERT' THEN " + _add(keys, -1, table="old_rows") + "; END IF; "
            "IF TG_OP <> 'DELETE' THEN " + _add(keys, 1, table="new_rows") + "; END IF; "
            "RETURN NULL; END $$")
        for event, tables in (("INSERT", "NEW TABLE AS new_rows"),
                              ("DELETE", "OLD TABLE AS old_rows"),
                              ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
            op.execute(f"CREATE TRIGGER report_totals_{event.lower()} AFTER {event} ON "
                       f"report_current REFERENCING {tables} FOR EACH STATEMENT "
                       "EXECUTE FUNCTION report_totals_follow()")
    else:
        # SQLite has row triggers only; in C they cost ~40 µs a report
        for event, steps in (("INSERT", (("NEW", 1),)), ("DELETE", (("OLD", -1),)),
                             ("UPDATE", (("OLD", -1), ("NEW", 1)))):
            op.execute(f"CREATE TRIGGER report_totals_{event.lower()} AFTER {event} ON "
                       "report_current FOR EACH ROW BEGIN "
                       + "; ".join(_add(keys, sign, row=row) for row, sign in steps) + "; END")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS report_totals_{event}"
                   + (" ON report_current" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS report_totals_follow()")
    op.execute("DROP TABLE report_totals")
