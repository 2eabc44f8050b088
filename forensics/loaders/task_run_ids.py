"""Run ids that name a task, not a run: two files of one task read together are two runs.

A loader whose run id is the task's id (``runs_per_file``: Who&When's ``question_ID``) names the
same id in two files when they hold two runs of one task: the benchmark has the same GAIA question
in its Hand-Crafted and Algorithm-Generated subsets, and repeated trials of a question each write
their own file. Left alone, :func:`forensics.finalize.finalize` would read the second file's spans
as copies of the first's (``duplicate-span-id``) and lose that run. Here, before finalisation,
each such clashing run id becomes ``<id>#<path tail>``: the file's name without its suffix, with as
many of its parent directories as tell the clashing files apart (``1#Hand-Crafted/1`` beside
``1#Algorithm-Generated/1``). A run id no other file holds stays as it is, so labels keyed on it
still match. The same for every file of a clash, whatever the order the files were read in.
"""

from __future__ import annotations

import os
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

from . import registry


def _tails(paths: list[str]) -> dict[str, str]:
    """Each path's shortest tail (suffix cut off) that no other of ``paths`` shares."""
    parts = {p: os.path.normpath(p.removesuffix(".gz")).split(os.sep) for p in paths}
    parts = {p: [*ps[:-1], os.path.splitext(ps[-1])[0]] for p, ps in parts.items()}
    longest = max(len(ps) for ps in parts.values())
    for k in range(1, longest + 1):
        tails = {p: "/".join(ps[-k:]) for p, ps in parts.items()}
        if len(set(tails.values())) == len(tails):
            return tails
    return {p: os.path.normpath(p) for p in paths}


def separate_task_runs(files: list[tuple[str, str | None, pa.Table]]) -> list[pa.Table]:
    """The tables of ``files`` (``path, format, table`` per file read), run ids that name the same
    task in several files of a ``runs_per_file`` format made distinct (module doc)."""
    per_file = [
        i for i, (_, fmt, table) in enumerate(files)
        if fmt is not None and table.num_rows and getattr(registry.get(fmt), "runs_per_file", False)
    ]
    ids = {i: set(pc.unique(files[i][2].column("run_id")).to_pylist()) for i in per_file}
    held = Counter(r for i in per_file for r in ids[i])
    clashing = {r for r, n in held.items() if n > 1 and r is not None}
    tables = [table for _, _, table in files]
    if not clashing:
        return tables
    involved = [i for i in per_file if ids[i] & clashing]
    tails = _tails([files[i][0] for i in involved])
    for i in involved:
        path, _, table = files[i]
        run_id = table.column("run_id")
        clash = pc.is_in(run_id, value_set=pa.array(sorted(ids[i] & clashing), type=run_id.type))
        renamed = pc.if_else(clash, pc.binary_join_element_wise(run_id, pa.scalar(tails[path]), "#"), run_id)
        tables[i] = table.set_column(table.schema.get_field_index("run_id"), "run_id", renamed)
    return tables
