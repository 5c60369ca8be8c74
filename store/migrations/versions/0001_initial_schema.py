"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("command", sa.String(length=50), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "portal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_urls", sa.JSON(), nullable=False),
        sa.Column("allowed_hosts", sa.JSON(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("error", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_error_crawl_run_id"), ["crawl_run_id"], unique=False)

    op.create_table(
        "fetch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("portal_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("payload_digest", sa.String(length=100), nullable=True),
        sa.Column("warc_file", sa.String(length=300), nullable=True),
        sa.Column("warc_offset", sa.BigInteger(), nullable=True),
        sa.Column("warc_length", sa.BigInteger(), nullable=True),
        sa.Column("warc_record_id", sa.String(length=100), nullable=True),
        sa.Column("request_record_id", sa.String(length=100), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crawl_run_id"],
            ["crawl_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("warc_record_id"),
    )
    with op.batch_alter_table("fetch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fetch_crawl_run_id"), ["crawl_run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fetch_portal_id"), ["portal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fetch_url"), ["url"], unique=False)

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fetch_id", sa.Integer(), nullable=True),
        sa.Column("portal_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("agency", sa.String(length=200), nullable=True),
        sa.Column("province", sa.String(length=50), nullable=True),
        sa.Column("city", sa.String(length=50), nullable=True),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("division_code", sa.String(length=6), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("published", sa.String(length=10), nullable=True),
        sa.Column("format", sa.String(length=10), nullable=True),
        sa.Column("document_type", sa.String(length=10), nullable=False),
        sa.Column("encoding", sa.String(length=30), nullable=True),
        sa.Column("encoding_source", sa.String(length=10), nullable=True),
        sa.Column("parser_version", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fetch_id"],
            ["fetch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fetch_id", "parser_version"),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_agency"), ["agency"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_report_division_code"), ["division_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_report_fetch_id"), ["fetch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_portal_id"), ["portal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_url"), ["url"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_year"), ["year"], unique=False)

    op.create_table(
        "check_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("lhs", sa.Float(), nullable=False),
        sa.Column("rhs", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("check_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_failure_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_value",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("report_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("report_value")
    with op.batch_alter_table("check_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_failure_report_id"))

    op.drop_table("check_failure")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_year"))
        batch_op.drop_index(batch_op.f("ix_report_url"))
        batch_op.drop_index(batch_op.f("ix_report_portal_id"))
        batch_op.drop_index(batch_op.f("ix_report_fetch_id"))
        batch_op.drop_index(batch_op.f("ix_report_division_code"))
        batch_op.drop_index(batch_op.f("ix_report_agency"))

    op.drop_table("report")
    with op.batch_alter_table("fetch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fetch_url"))
        batch_op.drop_index(batch_op.f("ix_fetch_portal_id"))
        batch_op.drop_index(batch_op.f("ix_fetch_crawl_run_id"))

    op.drop_table("fetch")
    with op.batch_alter_table("error", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_error_crawl_run_id"))

    op.drop_table("error")
    op.drop_table("portal")
    op.drop_table("crawl_run")
