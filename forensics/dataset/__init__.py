"""A Hive-partitioned Parquet dataset of spans, runs, findings and quarantine.

Rooms: :mod:`~forensics.dataset.layout` (partitioning, table specs, metadata, commit records),
:mod:`~forensics.dataset.write` (appends), :mod:`~forensics.dataset.read` (pruned reads,
classification, repair), :mod:`~forensics.dataset.atomic` (whole-or-nothing files).
``from forensics.dataset import X`` keeps working.

Layout (version 1)::

    ROOT/_forensics.json                       layout version, n_buckets, redaction state
    ROOT/_commits/<append-id>.json             one record per committed append: its files and rows
    ROOT/<table>/date=YYYY-MM-DD/bucket=NNNN/part-<append-id>-<n>.parquet

``table`` is ``spans``, ``runs``, ``findings`` or ``quarantine``. A part file holds exactly the
table's schema columns (``SPAN_SCHEMA`` ...); ``date`` and ``bucket`` come from the path.

* **Grouping key**: ``coalesce(session_id, "run:" || run_id)``, where a run's session is the
  first non-null ``session_id`` among its spans (the classifier's ``scope_key``). Every detector
  looks within a run or a session, so a bucket holds whole groups and can be classified alone.
* **bucket** = ``int.from_bytes(blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")
  % n_buckets``: stable across machines, Python and library versions (unlike polars' or Spark's
  hash), so a dataset written today is read with the same pruning in a year. Computed once per
  distinct key and joined back to the rows.
* **date**: the UTC date of the group's earliest ``coalesce(start_time, end_time)`` in the
  append (runs: ``start_time``; findings: their run's date; quarantine: the append's UTC date,
  bucket 0), so a whole run or session lands in one date. ``unknown`` when it has no time.
* Rows inside a file are sorted by (key, run_id, start time) and written in row groups of
  :data:`ROW_GROUP_ROWS`, so the row-group statistics of ``run_id`` prune a one-run read.

Appends are atomic: part files are written under hidden temporary names and renamed, then the
commit record is written the same way; readers only read files named by a commit record, so an
append that crashed midway is never read (its leftovers are removed by :func:`repair`).

Redaction (the batch job's rule): a dataset is either redacted or in clear, said on its face in
``_forensics.json`` and in each part file's footer (``forensics.redaction``). A new dataset is
redacted unless the first append passes ``redact=False``; later appends follow the dataset, and
asking for the other state is an error. Detectors need the text as logged, so classifying a
redacted dataset's spans is refused unless explicitly allowed.
"""

from __future__ import annotations

from forensics.dataset.layout import (
    BUCKET_HASH,
    COMMITS_DIR,
    DEFAULT_N_BUCKETS,
    GROUPING_KEY,
    LAYOUT_VERSION,
    METADATA_FILE,
    PARTITIONING,
    ROW_GROUP_ROWS,
    TABLE_NAMES,
    UNKNOWN_DATE,
    DatasetError,
    DatasetInfo,
    DatasetSchemaError,
    LayoutVersionError,
    NotADatasetError,
    PartFile,
    TableSpec,
    bucket_of,
    check_append,
    committed_files,
    dataset_info,
    group_key,
    table_spec,
)
from forensics.dataset.read import (
    FLEET_COLUMNS,
    DateFilter,
    buckets,
    classify_dataset,
    files,
    fleet_of,
    iter_groups,
    read,
    refuse_redacted,
    repair,
)
from forensics.dataset.write import (
    AppendResult,
    DatasetWriter,
    append,
    append_load,
    results_written,
    run_dates,
    spans_read_key,
    write_results,
)

__all__ = [
    "AppendResult",
    "BUCKET_HASH",
    "COMMITS_DIR",
    "DEFAULT_N_BUCKETS",
    "DatasetError",
    "DatasetInfo",
    "DatasetSchemaError",
    "DatasetWriter",
    "DateFilter",
    "FLEET_COLUMNS",
    "GROUPING_KEY",
    "LAYOUT_VERSION",
    "LayoutVersionError",
    "METADATA_FILE",
    "NotADatasetError",
    "PARTITIONING",
    "PartFile",
    "ROW_GROUP_ROWS",
    "TABLE_NAMES",
    "TableSpec",
    "UNKNOWN_DATE",
    "append",
    "append_load",
    "bucket_of",
    "buckets",
    "check_append",
    "classify_dataset",
    "committed_files",
    "dataset_info",
    "files",
    "fleet_of",
    "group_key",
    "iter_groups",
    "read",
    "refuse_redacted",
    "repair",
    "results_written",
    "run_dates",
    "spans_read_key",
    "table_spec",
    "write_results",
]
