"""report status: parsed, no-table, image-only (parsers.classify)

Revision ID: 0002_report_status
Revises: 0002_changes
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_report_status"
down_revision = "0002_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reports stored before this column were all read from their tables: "parsed".
    op.add_column("report", sa.Column("status", sa.String(length=20), nullable=False,
                                      server_default="parsed"))
    op.create_index("ix_report_status", "report", ["status"])


def downgrade() -> None:
    op.drop_index("ix_report_status", table_name="report")
    with op.batch_alter_table("report") as batch:
        batch.drop_column("status")
