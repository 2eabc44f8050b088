"""Span buckets: a night's spans held in memory when small, else spilled to Arrow IPC files in
buckets of whole sessions, and how many loader processes fit the memory budget.

The spill is the night's own scratch, read back whole three times (finalised across files, the
fleet's facts, classified): it is written as Arrow's IPC file format with LZ4-compressed buffers
(``pyarrow.feather``; Arrow's columnar format, docs/format/Columnar.rst "IPC File Format"), which
reads back as the table it was, not decoded page by page as Parquet is. Measured on the bench night
(584k spans in two buckets, ``bench/bench_batch.py --runs 20000 --files 2``): the bucket reads took
2.7 s CPU as LZ4 Parquet; spans.parquet, the night's output, stays Parquet.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.feather as feather

from forensics.errors import InternalError
from forensics.schema import QUARANTINE_SCHEMA, SPAN_SCHEMA, empty_table

if TYPE_CHECKING:
    from forensics.nightly.outputs import _SpansParquet

class SpanBuckets:
    """A night's spans, held in memory when small, else spilled to Arrow IPC files in buckets.

    Each bucket holds whole sessions (or whole runs when a run names no session), hashed on
    ``coalesce(session_id, run_id)``: every detector works within a run or a session, so
    classifying bucket by bucket finds exactly what one call over everything would, while peak
    memory is one bucket instead of the whole night (7 GB for 3M spans measured in one piece).
    A run split over several files still lands in one bucket.
    """

    def __init__(self, n_buckets: int, workdir: Path | None) -> None:
        self.n = max(1, n_buckets)
        self.rows = 0
        self._memory: list[pa.Table] = []
        self._dir = workdir
        self._files = 0
        #: The night's per-run facts for fleet-relative budgets, taken by :meth:`refinalize` when
        #: asked (one row per run; None until then).
        self.facts: pl.DataFrame | None = None

    @property
    def spilled(self) -> bool:
        return self.n > 1 and self._dir is not None

    @property
    def directory(self) -> Path | None:
        return self._dir

    def add(self, spans: pa.Table) -> None:
        self.rows += spans.num_rows
        if not self.spilled:
            self._memory.append(spans)
            return
        assert self._dir is not None
        spill_partitions(spans, self._dir, self.n, self._files)
        self._files += 1

    def add_spilled(self, rows: int) -> None:
        """Count rows a worker process spilled itself (see :func:`spill_partitions`)."""
        self.rows += rows

    def refinalize(self, spans_out: _SpansParquet | None,
                   facts: Callable[[pl.DataFrame], pl.DataFrame] | None = None) -> pa.Table:
        """Finalise the night across its files, bucket by bucket, and write the result back (and
        to spans.parquet). Each file was finalised when it was loaded; a run whose spans came in
        several files (an hourly rotation, an exporter retry) is only whole here: its agents are
        inherited and its session filled across files, and a span exported in two files is kept
        once, the later copy quarantined as ``duplicate-span-id``. Returns those quarantined rows.

        ``facts``: also take each finalised bucket's per-run facts (into :attr:`facts`) while it
        is in memory, so the fleet-relative budgets need no extra read of the spilled night
        (fleet_facts of the whole runs a bucket holds: the same rows, bucket by bucket)."""
        from forensics.load import finalize

        late: list[pa.Table] = []
        found: list[pl.DataFrame] = []
        if not self.spilled:
            if self._memory:
                table, quarantined = finalize(pa.concat_tables(self._memory))
                self._memory = [table]
                late.append(quarantined)
                if spans_out is not None:
                    spans_out.write(table)
                if facts is not None:
                    found.append(facts(_frame(table)))
        else:
            assert self._dir is not None
            for bucket in sorted(self._dir.glob("b*")):
                pieces = sorted(bucket.glob(f"*{SPILL_SUFFIX}"))
                table, quarantined = finalize(pa.concat_tables([_read_piece(f) for f in pieces]))
                late.append(quarantined)
                if spans_out is not None:
                    spans_out.write(table)
                if facts is not None:
                    found.append(facts(_frame(table)))
                whole = bucket / "whole.tmp"
                _write_piece(table, whole)
                for f in pieces:
                    f.unlink()
                whole.rename(bucket / f"f000000{SPILL_SUFFIX}")
                del table
        if facts is not None and found:
            self.facts = pl.concat(found)
        gone = pa.concat_tables(late) if late else empty_table(QUARANTINE_SCHEMA)
        self.rows -= gone.num_rows
        return gone

    def buckets(self) -> Iterable[pa.Table]:
        if self.n == 1 or self._dir is None:
            if self._memory:
                yield pa.concat_tables(self._memory)
            return
        for bucket in sorted(self._dir.glob("b*")):
            yield pa.concat_tables([_read_piece(f) for f in sorted(bucket.glob(f"*{SPILL_SUFFIX}"))])


#: A spilled piece's file suffix (Arrow IPC file format, LZ4-compressed buffers).
SPILL_SUFFIX: Final = ".arrow"


def _write_piece(table: pa.Table, path: Path) -> None:
    feather.write_feather(table.cast(SPAN_SCHEMA), path, compression="lz4")


def _read_piece(path: Path) -> pa.Table:
    # Read into memory, not mapped: the pieces are unlinked while their tables live on.
    return feather.read_table(path, memory_map=False).cast(SPAN_SCHEMA)


def spill_partitions(spans: pa.Table, directory: Path, n_buckets: int, index: int) -> None:
    """Write ``spans`` as ``directory/b<bucket>/f<index>.arrow``, one piece per bucket (the rows in
    their order). The bucket of a row is hashed on its session (else run) by polars, from those two
    columns alone; the rows are split by Arrow, so the columns keep the span schema's types (a whole
    table through polars became its string views, converted back on every read)."""
    key = pl.coalesce("session_id", "run_id").hash(seed=0) % n_buckets
    ids = _frame(spans.select(["session_id", "run_id"])).select(key.alias("_bucket")).to_series()
    buckets = ids.to_numpy()
    for bucket in np.unique(buckets).tolist():
        mine = buckets == bucket
        part = spans if mine.all() else spans.filter(
            pa.Array.from_buffers(pa.bool_(), len(mine), [None, pa.py_buffer(np.packbits(mine, bitorder="little"))]))
        target = directory / f"b{int(bucket):04d}" / f"f{index:06d}{SPILL_SUFFIX}"
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_piece(part, target)



def available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: Loading a file peaks at about this many times its size (measured: a 263 MB OTLP/JSON-lines
#: file of 29,000 runs peaks at 1.3 GB in a worker process).
LOAD_MEMORY_FACTOR: Final = 5
#: What a night may take in all (issue 7's target), of which about 1 GiB is the main process.
DEFAULT_MEMORY_BUDGET: Final = 3 * 1024**3
_MAIN_PROCESS_BYTES: Final = 1024**3


#: A night's file at least this big is read alone (see auto_workers).
_BIG_FILE_BYTES: Final = 64 * 1024 * 1024


def auto_workers(sizes: Sequence[int], memory_budget: int = DEFAULT_MEMORY_BUDGET) -> int:
    """Loader processes for files of ``sizes``: one per CPU, as many as fit the memory budget
    when each may take ``LOAD_MEMORY_FACTOR`` times the biggest file."""
    biggest = max(sizes, default=0)
    per_worker = LOAD_MEMORY_FACTOR * biggest
    if per_worker == 0:
        return 1
    if biggest >= _BIG_FILE_BYTES:
        # Files this big are read one at a time, as measured (2 file workers on 263 MB files were
        # 1.5x slower, when load() split each over the cores). load() no longer spawns processes
        # (issue 15); running big files side by side waits for a measured gain.
        return 1
    fit = (memory_budget - _MAIN_PROCESS_BYTES) // per_worker
    return int(max(1, min(available_cpus(), fit)))



#: Bytes of input per span bucket: a bucket's spans take about as much memory as its JSON did.
DEFAULT_BUCKET_BYTES: Final = 256 * 1024 * 1024


def _frame(table: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(table)
    if not isinstance(df, pl.DataFrame):  # pragma: no cover - a Table always gives a DataFrame
        raise InternalError("expected a table, got a column")
    return df
