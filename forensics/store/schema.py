"""The store's tables. The migrations in ``forensics/migrations`` create exactly these (tests
compare them with Alembic's autogenerate); keep both in step when the schema changes.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA

BATCH_STATUSES: Final = ("running", "succeeded", "failed", "skipped")


metadata = sa.MetaData()

_TS = sa.DateTime(timezone=True)
_JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

batches = sa.Table(
    "batches",
    metadata,
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
    sa.Column("classifier_version", sa.Text),  # migration 0003
    sa.CheckConstraint(
        "status IN ('running', 'succeeded', 'failed', 'skipped')", name="ck_batches_status"
    ),
)
sa.Index("ix_batches_status", batches.c.status)
sa.Index("ix_batches_started_at", batches.c.started_at)

batch_inputs = sa.Table(
    "batch_inputs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("policy_version", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("format", sa.Text),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("claimed_at", _TS, nullable=False),
    # Migration 0003: the classifier's version (forensics.classifier_version) is part of the key, so
    # an upgraded classifier claims anew what an older one stored (and replaces its rows).
    sa.Column("classifier_version", sa.Text, nullable=False),
    sa.UniqueConstraint("sha256", "policy_version", "classifier_version",
                        name="uq_batch_inputs_sha256_policy_classifier"),
)
sa.Index("ix_batch_inputs_batch_id", batch_inputs.c.batch_id)

runs = sa.Table(
    "runs",
    metadata,
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
    # Added by migration 0002 (rows written before it are backfilled there).
    sa.Column("strength", sa.Text),
    sa.Column("declared_outcome", sa.Text, nullable=False, server_default="unknown"),
    sa.Column("unexplained_failure", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("decisive_agent", sa.Text),
    sa.Column("decisive_step", sa.BigInteger),
    sa.Column("classifier_version", sa.Text),  # migration 0003 (NULL: stored before it, not recorded)
)
sa.Index("ix_runs_run_id", runs.c.run_id)
sa.Index("ix_runs_start_time", runs.c.start_time)
sa.Index("ix_runs_primary_class_start_time", runs.c.primary_class, runs.c.start_time)
sa.Index("ix_runs_session_id", runs.c.session_id)
sa.Index("ix_runs_input_sha256_policy", runs.c.input_sha256, runs.c.policy_version)

findings = sa.Table(
    "findings",
    metadata,
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
    sa.Column("strength", sa.Text, nullable=False),  # migration 0002
    sa.Column("classifier_version", sa.Text),  # migration 0003
)
sa.Index("ix_findings_batch_run", findings.c.batch_id, findings.c.run_id)
sa.Index("ix_findings_run_id", findings.c.run_id)
sa.Index("ix_findings_class_time", findings.c.failure_class, findings.c.decisive_time)
sa.Index("ix_findings_detector", findings.c.detector)
sa.Index("ix_findings_input_sha256_policy", findings.c.input_sha256, findings.c.policy_version)

#: Columns stored as JSON text (Arrow list<string> in the result schemas).
_LIST_COLUMNS: Final = {"agents", "classes", "evidence_span_ids"}
_RUN_COLUMNS: Final = tuple(f.name for f in RUN_SCHEMA)
_FINDING_COLUMNS: Final = tuple(f.name for f in FINDING_SCHEMA)
