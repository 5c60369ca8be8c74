"""scheduler: per-portal crawl results, the report change log, scheduled runs, job store

Revision ID: 0002_changes
Revises: 0002_archive
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_changes"
down_revision = "0002_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_run_portal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("page_limit_hit", sa.Integer(), nullable=False),
        sa.Column("changes_detected_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["crawl_run_id"], ["crawl_run.id"]),
        sa.ForeignKeyConstraint(["portal_id"], ["portal.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("crawl_run_id", "portal_id"),
    )
    op.create_index("ix_crawl_run_portal_crawl_run_id", "crawl_run_portal", ["crawl_run_id"])
    op.create_index("ix_crawl_run_portal_portal_id", "crawl_run_portal", ["portal_id"])

    op.create_table(
        "report_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("portal_id", sa.Integer(), nullable=True),
        sa.Column("crawl_run_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("previous_report_id", sa.Integer(), nullable=True),
        sa.Column("diff", sa.JSON(), nullable=True),
        sa.Column("text_only", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["crawl_run_id"], ["crawl_run.id"]),
        sa.ForeignKeyConstraint(["portal_id"], ["portal.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.ForeignKeyConstraint(["previous_report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("kind", "agency", "year", "portal_id", "crawl_run_id"):
        op.create_index(f"ix_report_change_{column}", "report_change", [column])

    op.create_table(
        "schedule_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["crawl_run_id"], ["crawl_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_schedule_run_portal", "schedule_run", ["portal"])

    # The table APScheduler 3's SQLAlchemyJobStore would create on its own (same columns).
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_table("apscheduler_jobs")
    op.drop_table("schedule_run")
    op.drop_table("report_change")
    op.drop_table("crawl_run_portal")
