"""The classifier's version is part of an input's key: an upgraded classifier reclassifies.

batch_inputs.classifier_version joins the claim's unique key (sha256, policy_version,
classifier_version), so a rerun by another classifier (forensics.classifier_version: the package
version plus a digest of what shapes results) no longer finds the input stored and replaces the
older rows in its write transaction; batches, runs and findings record the version too. Rows
written before this revision were classified by a version nobody recorded: their claims are
backfilled ``unrecorded`` (a key must not be NULL), so the first run after the upgrade reclassifies
them once; their batches, runs and findings keep NULL (not recorded).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: The claims' version for rows stored before the version was recorded.
UNRECORDED = "unrecorded"


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("classifier_version", sa.Text))
    with op.batch_alter_table("batch_inputs") as batch:
        batch.add_column(sa.Column("classifier_version", sa.Text, nullable=False, server_default=UNRECORDED))
    with op.batch_alter_table("batch_inputs") as batch:
        batch.alter_column("classifier_version", existing_type=sa.Text, existing_nullable=False, server_default=None)
        batch.drop_constraint("uq_batch_inputs_sha256_policy", type_="unique")
        batch.create_unique_constraint("uq_batch_inputs_sha256_policy_classifier",
                                       ["sha256", "policy_version", "classifier_version"])
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("classifier_version", sa.Text))
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("classifier_version", sa.Text))


def downgrade() -> None:
    for table in ("findings", "runs"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("classifier_version")
    # Two versions' claims of one input under one policy cannot share the narrower key: keep the newest.
    op.execute(
        "DELETE FROM batch_inputs WHERE EXISTS (SELECT 1 FROM batch_inputs newer "
        "WHERE newer.sha256 = batch_inputs.sha256 AND newer.policy_version = batch_inputs.policy_version "
        "AND newer.id > batch_inputs.id)"
    )
    with op.batch_alter_table("batch_inputs") as batch:
        batch.drop_constraint("uq_batch_inputs_sha256_policy_classifier", type_="unique")
        batch.create_unique_constraint("uq_batch_inputs_sha256_policy", ["sha256", "policy_version"])
        batch.drop_column("classifier_version")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("classifier_version")
