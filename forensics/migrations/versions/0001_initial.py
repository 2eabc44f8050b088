"""The first schema: batches, batch_inputs (content-hash claims), runs, findings.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS),
        sa.Column("heartbeat_at", _TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("policy_version", sa.Text),
        sa.Column("toolkit_version", sa.String(32)),
        sa.Column("forced", sa.Boolean, nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("hostname", sa.Text),
        sa.Column("command", sa.Text),
        sa.Column("inputs", _JSON_DOC),
        sa.Column("counts", _JSON_DOC),
        sa.Column("problems", _JSON_DOC),
        sa.Column("error", sa.Text),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'skipped')", name="ck_batches_status"
        ),
    )
    op.create_index("ix_batches_status", "batches", ["status"])
    op.create_index("ix_batches_started_at", "batches", ["started_at"])

    op.create_table(
        "batch_inputs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("format", sa.Text),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("claimed_at", _TS, nullable=False),
        sa.UniqueConstraint("sha256", "policy_version", name="uq_batch_inputs_sha256_policy"),
    )
    op.create_index("ix_batch_inputs_batch_id", "batch_inputs", ["batch_id"])

    op.create_table(
        "runs",
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), primary_key=True),
        sa.Column("run_id", sa.Text, primary_key=True),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("session_id", sa.Text),
        sa.Column("source_format", sa.Text),
        sa.Column("source_file", sa.Text),
        sa.Column("start_time", _TS),
        sa.Column("end_time", _TS),
        sa.Column("duration_ms", sa.Float),
        sa.Column("agents", sa.Text, nullable=False),
        sa.Column("span_count", sa.BigInteger, nullable=False),
        sa.Column("error_count", sa.BigInteger, nullable=False),
        sa.Column("input_tokens", sa.BigInteger),
        sa.Column("output_tokens", sa.BigInteger),
        sa.Column("cost_usd", sa.Float),
        sa.Column("reported_outcome", sa.Text, nullable=False),
        sa.Column("classes", sa.Text, nullable=False),
        sa.Column("primary_class", sa.Text),
        sa.Column("decisive_span_id", sa.Text),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
    )
    op.create_index("ix_runs_run_id", "runs", ["run_id"])
    op.create_index("ix_runs_start_time", "runs", ["start_time"])
    op.create_index("ix_runs_primary_class_start_time", "runs", ["primary_class", "start_time"])
    op.create_index("ix_runs_session_id", "runs", ["session_id"])
    op.create_index("ix_runs_input_sha256_policy", "runs", ["input_sha256", "policy_version"])

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("session_id", sa.Text),
        sa.Column("failure_class", sa.Text, nullable=False),
        sa.Column("detector", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("evidence_span_ids", sa.Text, nullable=False),
        sa.Column("decisive_span_id", sa.Text),
        sa.Column("decisive_time", _TS),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
    )
    op.create_index("ix_findings_batch_run", "findings", ["batch_id", "run_id"])
    op.create_index("ix_findings_run_id", "findings", ["run_id"])
    op.create_index("ix_findings_class_time", "findings", ["failure_class", "decisive_time"])
    op.create_index("ix_findings_detector", "findings", ["detector"])
    op.create_index("ix_findings_input_sha256_policy", "findings", ["input_sha256", "policy_version"])


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("runs")
    op.drop_table("batch_inputs")
    op.drop_table("batches")
