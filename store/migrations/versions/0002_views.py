"""derived views (superseded: 0003_ingest makes them)

Revision ID: 0002_views
Revises: 0002_report_status
Create Date: 2026-11-22

This migration used to build the views from the live code (store.views), so what it made
depended on the nianbao that ran it. A migration must not import live code: it now does
nothing, and 0003_ingest, right after it in the one line of history, drops whatever views
an earlier run of it made and creates them from SQL frozen in that migration.
"""

revision = "0002_views"
down_revision = "0002_report_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
