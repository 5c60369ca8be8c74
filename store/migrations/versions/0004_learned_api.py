"""learned_api: list APIs learned from the browser, asked directly by the next crawl

Revision ID: 0004_learned_api
Revises: 0003_ingest
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_learned_api"
down_revision = "0003_ingest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learned_api",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("portal_id", sa.Integer(), sa.ForeignKey("portal.id"), nullable=False),
        sa.Column("api_key", sa.String(length=500), nullable=False),
        sa.Column("page_url", sa.Text(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), sa.ForeignKey("crawl_run.id")),
        sa.Column("learned_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("portal_id", "api_key"),
    )
    op.create_index("ix_learned_api_portal_id", "learned_api", ["portal_id"])


def downgrade() -> None:
    op.drop_index("ix_learned_api_portal_id", table_name="learned_api")
    op.drop_table("learned_api")
