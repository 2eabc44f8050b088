"""The nightly job, room by room (the data's walk: a file to a stored, written result).

* :mod:`~forensics.nightly.intake`: find and hash the files, THE "already stored" decision
  (:func:`~forensics.nightly.intake.skip_already_stored`, which the Spark path asks too), load
  them one by one or in worker processes.
* :mod:`~forensics.nightly.buckets`: the night's spans in memory or spilled in buckets of whole
  sessions; how many loader processes fit the memory budget.
* :mod:`~forensics.nightly.engines`: what classifies the buckets (``ENGINES``: local, spark).
* :mod:`~forensics.nightly.outputs`: Parquet written atomically and redacted, results of inputs
  stored before replayed for ``--out``, the night appended to a dataset.
* :mod:`~forensics.nightly.job`: :func:`classify_paths`, the job that walks them, returning a
  :class:`BatchSummary` (the CLI turns it into an exit code).
"""

from __future__ import annotations

from forensics.nightly.buckets import (
    DEFAULT_BUCKET_BYTES,
    DEFAULT_MEMORY_BUDGET,
    LOAD_MEMORY_FACTOR,
    SpanBuckets,
    auto_workers,
    available_cpus,
    spill_partitions,
)
from forensics.nightly.engines import (
    ENGINES,
    PREFLIGHTS,
    Engine,
    classify_local,
    classify_on_spark,
    engine_named,
)
from forensics.nightly.intake import FileOutcome, Progress, hash_inputs, sha256_file, skip_already_stored
from forensics.nightly.job import BatchSummary, classify_paths
from forensics.nightly.outputs import (
    NO_REDACTION,
    PARQUET_OUTPUTS,
    Redaction,
    read_stored_results,
    with_banner,
    write_parquet_atomic,
)

__all__ = [
    "DEFAULT_BUCKET_BYTES",
    "DEFAULT_MEMORY_BUDGET",
    "ENGINES",
    "LOAD_MEMORY_FACTOR",
    "NO_REDACTION",
    "PARQUET_OUTPUTS",
    "PREFLIGHTS",
    "BatchSummary",
    "Engine",
    "FileOutcome",
    "Progress",
    "Redaction",
    "SpanBuckets",
    "auto_workers",
    "available_cpus",
    "classify_local",
    "classify_on_spark",
    "classify_paths",
    "engine_named",
    "hash_inputs",
    "read_stored_results",
    "sha256_file",
    "skip_already_stored",
    "spill_partitions",
    "with_banner",
    "write_parquet_atomic",
]
