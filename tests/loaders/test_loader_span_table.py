"""The span-table loader: forensics' own span table saved as Parquet reads back as it was written,
and every row it cannot take is quarantined with its reason and its row number."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import forensics
from forensics.errors import InputError
from forensics.loaders.base import Limits
from forensics.schema import SPAN_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
#: The span table as pandas or polars would save it: every column nullable.
LOOSE = pa.schema([f.with_nullable(True) for f in SPAN_SCHEMA])
SETS = [ROOT / "sample_logs", ROOT / "tests" / "data" / "incidents" / "dev"]


@pytest.mark.parametrize("logs", SETS, ids=lambda p: p.name)
def test_a_saved_span_table_reads_back_identical_and_classifies_the_same(logs, tmp_path):
    original = forensics.load(logs)
    saved = tmp_path / "spans.parquet"
    pq.write_table(original.spans, saved, row_group_size=97)  # several row groups: batch seams

    back = forensics.load(saved)

    (account,) = back.report.files
    assert (account.format, account.chosen_by) == ("span-table", "sniffed")
    assert (account.records_read, account.rows, account.quarantined) == (original.spans.num_rows,) * 2 + (0,)
    assert back.spans.equals(original.spans)  # provenance columns included: where each span was first read
    first, again = forensics.classify(original.spans), forensics.classify(back.spans)
    assert again.findings.sort_by([("run_id", "ascending"), ("detector", "ascending")]).equals(
        first.findings.sort_by([("run_id", "ascending"), ("detector", "ascending")]))
    assert again.runs.sort_by("run_id").equals(first.runs.sort_by("run_id"))


@functools.cache
def _samples() -> pa.Table:
    return forensics.load(ROOT / "sample_logs").spans


def _rows(n: int) -> list[dict]:
    return _samples().slice(0, n).to_pylist()


def test_each_bad_row_is_quarantined_with_its_reason_and_row_number(tmp_path):
    rows = _rows(9)
    rows[1]["kind"] = "robot"  # row 2
    rows[2]["span_id"] = None  # row 3
    rows[3]["attributes"] = "[1, 2]"  # row 4: JSON, but not an object
    rows[4]["status"] = "fine"  # row 5
    rows[5]["attributes"] = '{"http.method": "POST"'  # row 6: cut short
    rows[6]["run_id"] = ""  # row 7
    rows[7]["end_time"] = rows[7]["end_time"].replace(year=1969)  # row 8
    saved = tmp_path / "spans.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=LOOSE), saved)

    back = forensics.load(saved)

    got = {(r["source_line"], r["reason"]) for r in back.quarantine.to_pylist()}
    assert got == {(2, "invalid-value"), (3, "missing-span-id"), (4, "invalid-value"), (5, "invalid-value"),
                   (6, "invalid-value"), (7, "missing-run-id"), (8, "invalid-time")}
    details = {r["source_line"]: r["detail"] for r in back.quarantine.to_pylist()}
    assert "`kind` must be one of" in details[2] and "`status` must be one of" in details[5]
    assert "JSON object" in details[4] and "JSON object" in details[6]
    assert json.loads(back.quarantine.to_pylist()[0]["raw"])["kind"] == "robot"  # the row as it was
    assert back.spans.to_pylist() == [rows[0], rows[8]]
    (account,) = back.report.files
    assert (account.records_read, account.rows, account.quarantined) == (9, 2, 7)


def test_a_value_its_column_cannot_hold_quarantines_that_row_only(tmp_path):
    rows = _rows(3)
    table = pa.Table.from_pylist(rows, schema=SPAN_SCHEMA)
    times = ["2026-03-02T10:00:00Z", "yesterday", "2026-03-02T10:00:02.5Z"]
    table = table.set_column(table.schema.get_field_index("start_time"), "start_time", pa.array(times))
    saved = tmp_path / "spans.parquet"
    pq.write_table(table, saved)

    back = forensics.load(saved)

    (bad,) = back.quarantine.to_pylist()
    assert (bad["source_line"], bad["reason"]) == (2, "invalid-value")
    assert "`start_time`" in bad["detail"] and "'yesterday'" in bad["detail"]
    assert [t.isoformat() for t in back.spans.column("start_time").to_pylist()] == [
        "2026-03-02T10:00:00+00:00", "2026-03-02T10:00:02.500000+00:00"]


def test_too_many_attributes_are_refused_as_the_other_loaders_refuse_them(tmp_path):
    rows = _rows(2)
    rows[0]["attributes"] = json.dumps({f"k{i}": i for i in range(50)})
    saved = tmp_path / "spans.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SPAN_SCHEMA), saved)

    back = forensics.load(saved, limits=Limits(max_attributes=30))  # row 2 holds 20

    (bad,) = back.quarantine.to_pylist()
    assert (bad["source_line"], bad["reason"]) == (1, "too-many-attributes")
    assert back.spans.num_rows == 1


def test_a_parquet_file_without_the_required_columns_is_not_a_span_table(tmp_path):
    table = pa.Table.from_pylist(_rows(2), schema=SPAN_SCHEMA).drop_columns(["status", "source_line"])
    saved = tmp_path / "spans.parquet"
    pq.write_table(table, saved)

    with pytest.raises(InputError) as refused:
        forensics.load(saved, format="span-table")
    assert "`status`, `source_line`" in refused.value.message
    with pytest.raises(InputError, match="no registered loader recognises"):
        forensics.load(saved)  # sniffing does not take it for a span table either


def test_columns_outside_the_schema_are_named_in_the_accounting(tmp_path):
    table = pa.Table.from_pylist(_rows(2), schema=SPAN_SCHEMA).append_column("reviewer", pa.array(["ana", "bo"]))
    saved = tmp_path / "spans.parquet"
    pq.write_table(table, saved)

    back = forensics.load(saved)

    assert back.report.files[0].notes[0] == "column(s) outside the span table not read: reviewer"
    # Two rows cut from a sample's trace: their parents were not saved, which the report says too.
    assert back.report.files[0].unparented == 2 and len(back.report.files[0].notes) == 2
    assert back.spans.num_rows == 2


def test_the_cli_reads_back_the_spans_classify_wrote(tmp_path):
    out = tmp_path / "out"
    logs = ROOT / "sample_logs" / "02_crm_lookup_loop.otel.jsonl"
    first = subprocess.run([sys.executable, "-m", "forensics.cli", "classify", str(logs), "--db",
                            f"sqlite:///{tmp_path / 'f.db'}", "--out", str(out)],
                           capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert first.returncode == 0, first.stderr
    sniffed = subprocess.run([sys.executable, "-m", "forensics.cli", "sniff", str(out / "spans.parquet")],
                             capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert sniffed.returncode == 0, sniffed.stderr
    assert "span-table" in sniffed.stdout
    back = forensics.load(out / "spans.parquet")
    assert back.spans.num_rows == pq.read_metadata(out / "spans.parquet").num_rows == forensics.load(logs).spans.num_rows


def test_a_damaged_file_is_an_unreadable_record_not_a_crash(tmp_path):
    saved = tmp_path / "spans.parquet"
    pq.write_table(pa.Table.from_pylist(_rows(3), schema=SPAN_SCHEMA), saved)
    data = saved.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])  # the footer, and the schema in it, gone

    back = forensics.load(cut, format="span-table")

    (bad,) = back.quarantine.to_pylist()
    assert (bad["source_line"], bad["reason"]) == (1, "unreadable-file")
    assert back.spans.num_rows == 0


def test_a_span_rejected_at_finalisation_is_counted_to_the_saved_file_not_the_log_it_names(tmp_path):
    """A saved table's spans name the log they were first read from; a duplicate span id among them
    is quarantined by finalisation and moved, in the report, from the saved file's rows to its
    quarantined count (found by the fuzzer: the move looked the record's file up by ``source_file``,
    a path that was not among the files read, and a KeyError escaped ``load()``)."""
    rows = _rows(6)
    rows[4]["run_id"], rows[4]["span_id"] = rows[1]["run_id"], rows[1]["span_id"]  # same id, other contents
    saved = tmp_path / "spans.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=LOOSE), saved)

    back = forensics.load(saved)

    (account,) = back.report.files
    assert (account.records_read, account.rows, account.quarantined) == (6, 5, 1)
    assert account.reasons == {"duplicate-span-id": 1}
    (record,) = back.quarantine.to_pylist()
    assert record["reason"] == "duplicate-span-id"
    assert record["source_file"] == rows[4]["source_file"] != account.path  # where the span was first read
