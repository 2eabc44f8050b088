"""The results store: batches, runs and findings in any SQLAlchemy database.

SQLite (a file, zero setup) by default; PostgreSQL is the tested team setup. The schema is owned by
the Alembic migrations shipped in ``forensics/migrations`` and applied on every open.

Guarantees, each tested with real processes:

* **Per-batch transactions.** A batch row is committed as ``running`` first; then the input
  claims, runs, findings and the flip to ``succeeded`` are ONE transaction. A crash or a kill in
  between leaves the previous state intact, and the next open marks the orphaned batch ``failed``.
* **Idempotent.** An input is claimed by its content hash, the policy version and the classifier
  version (:mod:`forensics.classifier_version`; a unique constraint), so rerunning the same night
  with the same classifier stores nothing new, while an upgraded classifier reclassifies and
  replaces the older rows in its one transaction; ``force=True`` deletes the earlier rows of those
  inputs and writes them anew in the same transaction. Every batch, claim, run and finding records
  the classifier version that wrote it.
* **No double counting under concurrency.** The claim is an ``INSERT .. ON CONFLICT DO NOTHING``
  inside the data transaction: PostgreSQL makes a second writer wait on the first one's
  uncommitted claim row, SQLite serialises writers (``BEGIN IMMEDIATE`` + busy timeout); whoever
  loses stores nothing for the contested inputs.

Rooms: :mod:`~forensics.store.schema` (tables), :mod:`~forensics.store.connection` (URL, engines,
migrations, recovery on open), :mod:`~forensics.store.batch_writes` (batches and claims),
:mod:`~forensics.store.bulk` (Arrow -> rows, bulk writers), :mod:`~forensics.store.reads`
(reading back). ``from forensics.store import X`` keeps working for every name below.
"""

from __future__ import annotations

from forensics.store.batch_writes import (
    BatchHandle,
    InputFile,
    Problem,
    WriteResult,
    fail_batch,
    finish_batch,
    start_batch,
    stored_by_other_classifiers,
    stored_hashes,
    write_batch,
)
from forensics.store.connection import (
    DB_ENV,
    DEFAULT_SQLITE_FILE,
    DEFAULT_STALE_AFTER,
    MIGRATIONS_DIR,
    Store,
    current_revision,
    head_revision,
    open_store,
    recover_stale_batches,
    resolve_url,
    upgrade,
)
from forensics.store.reads import (
    _since,
    class_trend,
    get_batch,
    read_batches,
    read_findings,
    read_runs,
    table_counts,
    trend_from_frames,
)
from forensics.store.schema import BATCH_STATUSES, batch_inputs, batches, findings, metadata, runs

__all__ = [
    "BATCH_STATUSES",
    "DB_ENV",
    "DEFAULT_SQLITE_FILE",
    "DEFAULT_STALE_AFTER",
    "MIGRATIONS_DIR",
    "BatchHandle",
    "InputFile",
    "Problem",
    "Store",
    "WriteResult",
    "_since",
    "batch_inputs",
    "batches",
    "class_trend",
    "current_revision",
    "fail_batch",
    "findings",
    "finish_batch",
    "get_batch",
    "head_revision",
    "metadata",
    "open_store",
    "read_batches",
    "read_findings",
    "read_runs",
    "recover_stale_batches",
    "resolve_url",
    "runs",
    "start_batch",
    "stored_by_other_classifiers",
    "stored_hashes",
    "table_counts",
    "trend_from_frames",
    "upgrade",
    "write_batch",
]
