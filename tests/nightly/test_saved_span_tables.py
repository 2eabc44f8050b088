"""A saved span table (``forensics classify --out`` writes ``spans.parquet``) is an input like any other:
the nightly batch stores its runs under the saved file, though each span keeps naming the log it was
first read from (``source_file``, loaders/span_table.py). Before, the batch refused such an input
("runs name source files that are not inputs of this batch")."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from forensics import store as st
from forensics.nightly import classify_paths

REPO = Path(__file__).resolve().parents[2]
LOGS = sorted((REPO / "sample_logs").glob("*.otlp.json"))[:3]


def _counts_add_up(counts: dict) -> bool:
    return counts["records_read"] == counts["rows"] + counts["quarantined"] + counts["merged"]


def test_a_saved_night_classified_again_stores_the_same_runs_under_the_saved_file(tmp_path):
    first = classify_paths([str(p) for p in LOGS], db=str(tmp_path / "first.db"), out=tmp_path / "night")
    saved = tmp_path / "night" / "spans.parquet"
    assert first.status == "succeeded" and first.runs > 0

    again = classify_paths([str(saved)], db=str(tmp_path / "again.db"), out=tmp_path / "again")

    assert again.status == "succeeded", again.problems
    assert [(f.format, f.status) for f in again.files] == [("span-table", "stored")]
    assert (again.runs, again.findings, again.findings_by_class) == (first.runs, first.findings, first.findings_by_class)
    store = st.open_store(str(tmp_path / "again.db"))
    (entry,) = st.get_batch(store, again.batch_id)["inputs"]
    store.close()
    assert entry["counts"]["rows"] == pq.read_metadata(saved).num_rows and _counts_add_up(entry["counts"])
    # Each run still names the log it was first read from.
    runs = pq.read_table(tmp_path / "again" / "runs.parquet")
    assert set(runs.column("source_file").to_pylist()) <= {str(p) for p in LOGS} | {
        str(p.relative_to(Path.cwd())) for p in LOGS if p.is_relative_to(Path.cwd())}
    # Safe to rerun: the saved file is stored already.
    rerun = classify_paths([str(saved)], db=str(tmp_path / "again.db"))
    assert [f.status for f in rerun.files] == ["skipped"] and rerun.runs == 0


def test_two_saved_tables_of_one_log_count_the_shared_spans_once_to_the_later(tmp_path):
    spans = pq.read_table(_saved_night(tmp_path))
    night = tmp_path / "two"
    night.mkdir()
    pq.write_table(spans, night / "a.parquet")
    pq.write_table(spans.slice(0, 5), night / "b.parquet")  # five spans again, field for field

    summary = classify_paths([str(night)], db=str(tmp_path / "two.db"))

    a, b = summary.files
    assert (a.rows, a.quarantined) == (spans.num_rows, 0)
    assert (b.records_read, b.rows, b.quarantined, dict(b.reasons)) == (5, 0, 5, {"resent-span-copy": 5})
    assert [p.file for p in summary.problems if p.reason == "quarantined"] == [str(night / "b.parquet")]


def _saved_night(tmp_path: Path) -> Path:
    classify_paths([str(p) for p in LOGS], db=str(tmp_path / "s.db"), out=tmp_path / "saved")
    return tmp_path / "saved" / "spans.parquet"
