"""Findings carry the strength of their evidence; runs their declared outcome, strength and decisive step.

findings.strength (strong or weak); runs.strength, declared_outcome, unexplained_failure,
decisive_agent, decisive_step. Rows written before this revision are backfilled with what can be
known without the spans: a finding's strength from its detector's default at this revision (and a
context_overflow judged only by prompt tokens against a window is weak), a run's strength from its
findings, its declared outcome ``unknown`` (the log was not read for it then), no decisive agent
or step.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: Detectors whose evidence was inferred from text or a name heuristic at this revision.
_WEAK_DETECTORS = (
    "claimed_but_not_done",
    "error_as_data",
    "redo_after_restart",
    "unacknowledged_escalation",
    "ungated_low_confidence",
)


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("strength", sa.Text))
    # The detector names travel as bound parameters: no SQL is built from strings.
    op.execute(
        sa.text(
            "UPDATE findings SET strength = CASE "
            "WHEN detector IN :weak THEN 'weak' "
            "WHEN detector = 'context_overflow' AND explanation LIKE '%-token window%' THEN 'weak' "
            "ELSE 'strong' END"
        ).bindparams(sa.bindparam("weak", value=list(_WEAK_DETECTORS), expanding=True))
    )
    with op.batch_alter_table("findings") as batch:
        batch.alter_column("strength", existing_type=sa.Text, nullable=False)

    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("strength", sa.Text))
        batch.add_column(sa.Column("declared_outcome", sa.Text, nullable=False, server_default="unknown"))
        batch.add_column(sa.Column("unexplained_failure", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("decisive_agent", sa.Text))
        batch.add_column(sa.Column("decisive_step", sa.BigInteger))
    op.execute(
        "UPDATE runs SET strength = CASE "
        "WHEN primary_class IS NULL THEN NULL "
        "WHEN EXISTS (SELECT 1 FROM findings f WHERE f.batch_id = runs.batch_id "
        "AND f.run_id = runs.run_id AND f.strength = 'strong') THEN 'strong' "
        "ELSE 'weak' END"
    )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        for name in ("decisive_step", "decisive_agent", "unexplained_failure", "declared_outcome", "strength"):
            batch.drop_column(name)
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("strength")
