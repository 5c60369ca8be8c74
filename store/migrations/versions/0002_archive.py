"""archive: fetch rows for every kind of WARC record (revisit, resource, metadata)

Revision ID: 0002_archive
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_archive"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fetch") as batch:
        batch.add_column(sa.Column("record_type", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("refers_to_record_id", sa.String(length=100), nullable=True))
        batch.create_index("ix_fetch_refers_to_record_id", ["refers_to_record_id"])


def downgrade() -> None:
    with op.batch_alter_table("fetch") as batch:
        batch.drop_index("ix_fetch_refers_to_record_id")
        batch.drop_column("refers_to_record_id")
        batch.drop_column("record_type")
