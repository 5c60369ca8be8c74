"""derived views: latest report, wide rows, rates, refusal reasons, year over year,
completeness, coverage

Revision ID: 0002_views
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

from parsers.schema import load_schema
from store.views import create_views, drop_views

revision = "0002_views"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # report_wide has a column per canonical key of the schema as it is now; a schema that
    # gains keys needs a migration that re-creates the views (tests/test_query.py checks).
    create_views(op.execute, load_schema().keys)


def downgrade() -> None:
    drop_views(op.execute)
