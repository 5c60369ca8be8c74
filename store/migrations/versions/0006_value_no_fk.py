"""report_value without its foreign key to report

Revision ID: 0006_value_no_fk
Revises: 0005_current
Create Date: 2026-12-04

The per-row check of ``report_value.report_id`` against ``report`` cost 60% of the time
of PostgreSQL's COPY of a batch's cells (bench/scale.py --store: 304 -> 611 reports/s at
batches of 64) and bought nothing: cells are written only by ingest, in the transaction
that writes their report, and reports are never deleted (history is kept). The primary
key (report_id, key) stays, and with it the index every read uses.
"""

from contextlib import contextmanager

from alembic import op

revision = "0006_value_no_fk"
down_revision = "0005_current"
branch_labels = None
depends_on = None

# 0001 left the constraint unnamed: PostgreSQL named it itself; SQLite's batch mode needs
# a name to find it by, given through a naming convention
_PG_NAME = "report_value_report_id_fkey"
_CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_NAME = "fk_report_value_report_id_report"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(_PG_NAME, "report_value", type_="foreignkey")
        return
    with _views_unchecked(), op.batch_alter_table(
            "report_value", naming_convention=_CONVENTION) as batch:
        batch.drop_constraint(_NAME, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(_PG_NAME, "report_value", "report", ["report_id"], ["id"],
                              ondelete="CASCADE")
        return
    with _views_unchecked(), op.batch_alter_table(
            "report_value", naming_convention=_CONVENTION) as batch:
        batch.create_foreign_key(_NAME, "report", ["report_id"], ["id"], ondelete="CASCADE")


@contextmanager
def _views_unchecked():
    """SQLite's batch mode copies the table and renames the copy; the rename checks every
    view, and report_wide names report_value, which is gone for that moment. The legacy
    rename leaves views alone: once renamed, the copy is what they name."""
    op.execute("PRAGMA legacy_alter_table = ON")
    try:
        yield
    finally:
        op.execute("PRAGMA legacy_alter_table = OFF")
