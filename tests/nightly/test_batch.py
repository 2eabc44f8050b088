"""classify_paths in-process: thresholds, atomic Parquet, duplicates, per-file accounting in the
batch record, progress stages."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forensics import store as st
from forensics.cli.app import EXIT_BAD_INPUT, EXIT_OK
from forensics.cli.fail_on import exit_code_of
from forensics.nightly import BatchSummary, classify_paths, write_parquet_atomic

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_logs"
OTLP = sorted(SAMPLES.glob("*.otlp.json"))



def labeled_runs(files: list[Path]) -> set[str]:
    names = {f.name for f in files}
    rows = [json.loads(x) for x in (SAMPLES / "labels.jsonl").read_text().splitlines() if x.strip()]
    return {r["run_id"] for r in rows if r["file"] in names}


def exit_code(summary: BatchSummary) -> int:
    """What ``forensics classify`` (no --fail-on) exits with for this summary: the CLI decides."""
    return exit_code_of(summary, [])


def test_write_parquet_atomic_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "d" / "t.parquet"
    write_parquet_atomic(pa.table({"a": [1, 2]}), target)
    write_parquet_atomic(pa.table({"a": [3]}), target)
    assert pq.read_table(target).column("a").to_pylist() == [3]
    assert [p.name for p in target.parent.iterdir()] == ["t.parquet"]
    with pytest.raises(Exception):  # noqa: B017 - any writer failure
        write_parquet_atomic("not a table", tmp_path / "d" / "u.parquet")  # type: ignore[arg-type]
    # The failed write left neither the target nor its temp file.
    assert [p.name for p in target.parent.iterdir()] == ["t.parquet"]


def test_batch_record_has_hash_format_and_counts_per_file(tmp_path):
    db = str(tmp_path / "b.db")
    stages: list[str] = []
    summary = classify_paths([str(f) for f in OTLP[:2]], db=db, out=tmp_path / "out",
                             progress=lambda stage, done, total, path: stages.append(stage))
    assert exit_code(summary) == EXIT_OK
    # Stages in order, each at least once.
    order = [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s]
    assert order == ["hash", "load", "classify", "store", "write"]
    store = st.open_store(db)
    batch = st.get_batch(store, summary.batch_id)
    for inp, f in zip(batch["inputs"], OTLP[:2], strict=True):
        assert inp["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
        assert inp["format"] == "otlp-json"
        assert inp["status"] == "stored"
        assert inp["counts"]["records_read"] == inp["counts"]["rows"] + inp["counts"]["quarantined"] + inp["counts"]["merged"]
        assert inp["counts"]["rows"] > 0
    assert batch["counts"]["outputs"]["runs"] == str((tmp_path / "out" / "runs.parquet").resolve())
    assert batch["toolkit_version"] == __import__("forensics").__version__
    assert batch["pid"] > 0 and batch["hostname"]
    store.close()


def test_same_content_under_two_names_is_read_once(tmp_path):
    night = tmp_path / "night"
    night.mkdir()
    shutil.copy(OTLP[0], night / "a.otlp.json")
    shutil.copy(OTLP[0], night / "b.otlp.json")
    summary = classify_paths([str(night)], db=str(tmp_path / "d.db"))
    assert [f.status for f in summary.files] == ["stored", "duplicate"]
    assert [(p.reason, p.level) for p in summary.problems] == [("duplicate-content", "warning")]
    assert exit_code(summary) == EXIT_OK  # a warning, not bad input
    assert summary.runs == len(labeled_runs(OTLP[:1]))


def test_empty_directory_and_missing_path_are_bad_input(tmp_path):
    (tmp_path / "empty").mkdir()
    summary = classify_paths([str(tmp_path / "empty"), str(tmp_path / "missing")], db=str(tmp_path / "e.db"))
    assert [(p.reason, Path(p.file).name) for p in summary.problems] == [("no-files", "empty"),
                                                                          ("not-found", "missing")]
    assert summary.status == "failed"
    assert exit_code(summary) == EXIT_BAD_INPUT


def test_bucketed_classification_equals_one_pass_and_keeps_split_runs_whole(tmp_path):
    """A night classified in many spilled buckets gives the same runs and findings as one pass,
    and a run whose spans are split over two files is still one run."""
    doc = json.loads(OTLP[0].read_text())
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    split_run = spans[0]["traceId"]
    n_split = sum(1 for s in spans if s["traceId"] == split_run)
    night = tmp_path / "night"
    night.mkdir()
    for i, part in enumerate((spans[: len(spans) // 2], spans[len(spans) // 2 :])):
        piece = json.loads(json.dumps(doc))
        piece["resourceSpans"][0]["scopeSpans"][0]["spans"] = part
        (night / f"part{i}.otlp.json").write_text(json.dumps(piece))
    for f in OTLP[1:4]:
        shutil.copy(f, night / f.name)

    def results(bucket_bytes: int, name: str, workers: int = 1):
        summary = classify_paths([str(night)], db=str(tmp_path / f"{name}.db"), out=tmp_path / name,
                                 bucket_bytes=bucket_bytes, workers=workers)
        assert exit_code(summary) == EXIT_OK
        runs = pq.read_table(tmp_path / name / "runs.parquet").to_pylist()
        finds = pq.read_table(tmp_path / name / "findings.parquet").to_pylist()
        key = ("run_id", "span_count", "classes", "primary_class", "decisive_span_id", "ok")
        return (sorted(tuple(str(r[k]) for k in key) for r in runs),
                sorted((f["run_id"], f["detector"], f["explanation"]) for f in finds), runs)

    one_runs, one_finds, _ = results(1 << 30, "one")
    many_runs, many_finds, raw = results(1024, "many")
    assert many_runs == one_runs
    assert many_finds == one_finds
    # The same with files loaded by two worker processes, each spilling its own buckets.
    par_runs, par_finds, _ = results(1024, "parallel", workers=2)
    assert (par_runs, par_finds) == (one_runs, one_finds)
    one_spans = pq.read_table(tmp_path / "one" / "spans.parquet")
    many_spans = pq.read_table(tmp_path / "many" / "spans.parquet")
    par_spans = pq.read_table(tmp_path / "parallel" / "spans.parquet")
    assert par_spans.num_rows == one_spans.num_rows

    def ids(t):
        return list(zip(t.column("run_id").to_pylist(), t.column("span_id").to_pylist(), strict=True))

    assert sorted(ids(par_spans)) == sorted(ids(one_spans))
    # spans.parquet is written bucket by bucket: the same buckets give the same order, whoever loaded.
    assert ids(par_spans) == ids(many_spans)
    store = st.open_store(str(tmp_path / "many.db"))
    batch = st.read_batches(store)
    assert json.loads(batch["counts"][0])["classify_buckets"] > 1  # really spilled in buckets
    store.close()
    split = [r for r in raw if r["run_id"] == split_run]
    assert len(split) == 1 and split[0]["span_count"] == n_split
    assert not list((tmp_path / "many").glob(".forensics-spill-*"))  # the spill is cleaned up


def test_a_spilled_night_is_read_back_once_to_classify(tmp_path, monkeypatch):
    """The fleet-relative budgets' per-run facts are taken while each bucket is finalised, so the
    spilled night is read back once more (to classify), not twice; they are the facts of the
    whole night, run for run."""
    from forensics.detectors.runaway_cost import fleet_facts
    from forensics.load import finalize, load
    from forensics.nightly import SpanBuckets

    passes = []
    real = SpanBuckets.buckets

    def counted(self):
        passes.append(self.n)
        yield from real(self)

    monkeypatch.setattr(SpanBuckets, "buckets", counted)
    summary = classify_paths(OTLP[:4], db=str(tmp_path / "n.db"), out=tmp_path / "out", bucket_bytes=1024)
    assert exit_code(summary) == EXIT_OK
    assert len(passes) == 1 and passes[0] > 1

    night = SpanBuckets(4, tmp_path / "spill")
    for f in OTLP[:4]:
        night.add(load([str(f)]).spans)
    night.refinalize(None, facts=fleet_facts)
    whole, _ = finalize(pa.concat_tables([load([str(f)]).spans for f in OTLP[:4]]))
    want = fleet_facts(pl.from_arrow(whole))
    assert night.facts is not None and night.facts.height == want.height > 1
    assert night.facts.sort("run_id").equals(want.sort("run_id"))


def test_auto_workers_fit_the_memory_budget():
    from forensics.nightly import DEFAULT_MEMORY_BUDGET, auto_workers, available_cpus

    mb = 1024 * 1024
    # 263 MB files: load() splits them over the cores itself, and two would not fit 3 GB.
    assert auto_workers([263 * mb, 100 * mb]) == 1
    assert auto_workers([10 * mb]) == available_cpus()
    # Small enough for load() to read in one process, too big for two workers in 3 GB.
    assert auto_workers([60 * mb], memory_budget=1024 * mb + 5 * 60 * mb) == 1
    assert auto_workers([]) == 1
    assert auto_workers([30 * mb], memory_budget=DEFAULT_MEMORY_BUDGET * 10) == available_cpus()


def _sdk_span(span_id: str, parent: str | None, second: int, **attributes: object) -> dict[str, object]:
    return {
        "name": span_id, "context": {"trace_id": "ab" * 16, "span_id": span_id}, "kind": "SpanKind.INTERNAL",
        "parent_id": parent, "start_time": f"2026-11-20T01:00:{second:02d}Z",
        "end_time": f"2026-11-20T01:00:{second + 1:02d}Z", "status": {"status_code": "OK"},
        "attributes": attributes,
    }


@pytest.mark.parametrize("bucket_bytes", [1 << 30, 64], ids=["in-memory", "spilled"])
def test_a_run_split_over_two_files_is_finalised_as_one(tmp_path: Path, bucket_bytes: int) -> None:
    """Hourly rotation cut a run in two: the tool call in the second file inherits the agent that
    started in the first, and a span the exporter wrote into both files is kept once, the later
    copy quarantined as a duplicate with the accounting moved from rows to quarantined."""
    night = tmp_path / "night"
    night.mkdir()
    agent = _sdk_span("00000000000000a1", None, 0, **{"gen_ai.operation.name": "invoke_agent",
                                                       "gen_ai.agent.name": "billing"})
    llm = _sdk_span("00000000000000b2", "00000000000000a1", 1, **{"gen_ai.operation.name": "chat",
                                                                  "gen_ai.request.model": "gpt-4o"})
    tool = _sdk_span("00000000000000c3", "00000000000000a1", 3, **{"gen_ai.operation.name": "execute_tool",
                                                                   "gen_ai.tool.name": "refund.issue"})
    (night / "h01.jsonl").write_text("\n".join(json.dumps(r) for r in (agent, llm)) + "\n")
    (night / "h02.jsonl").write_text("\n".join(json.dumps(r) for r in (llm, tool)) + "\n")  # llm again

    summary = classify_paths([str(night)], db=str(tmp_path / "f.db"), out=tmp_path / "out",
                             bucket_bytes=bucket_bytes, redact=False)
    assert exit_code(summary) == EXIT_OK  # a warning, not an error
    spans = pq.read_table(tmp_path / "out" / "spans.parquet").sort_by("span_id")
    assert spans.column("span_id").to_pylist() == ["00000000000000a1", "00000000000000b2", "00000000000000c3"]
    assert spans.column("agent").to_pylist() == ["billing", "billing", "billing"]
    quarantine = pq.read_table(tmp_path / "out" / "quarantine.parquet").to_pylist()
    assert [(Path(q["source_file"]).name, q["source_line"], q["reason"]) for q in quarantine] == [
        ("h02.jsonl", 1, "resent-span-copy")]  # the same llm span, field for field
    assert "h01.jsonl:2" in quarantine[0]["detail"]  # where the kept copy is
    by_name = {Path(f.path).name: f for f in summary.files}
    assert (by_name["h01.jsonl"].rows, by_name["h01.jsonl"].quarantined) == (2, 0)
    assert (by_name["h02.jsonl"].rows, by_name["h02.jsonl"].quarantined) == (1, 1)
    assert by_name["h02.jsonl"].reasons == {"resent-span-copy": 1}
    assert all(f.records_read == f.rows + f.quarantined + f.merged for f in summary.files)
    (warning,) = [p for p in summary.problems if Path(p.file).name == "h02.jsonl"]
    assert warning.level == "warning" and "resent-span-copy=1" in warning.detail
    runs = pq.read_table(tmp_path / "out" / "runs.parquet").to_pylist()
    assert len(runs) == 1 and runs[0]["span_count"] == 3


# --- outputs on a rerun: --out always holds every input's results ---------------------------------

TAU = REPO / "tests" / "data" / "chat_messages" / "tau_bench_results.json"


def _parquet(out: Path, name: str):
    import polars as pl

    return pl.read_parquet(out / f"{name}.parquet")


def test_rerun_writes_the_stored_results_to_a_new_out(tmp_path):
    inputs = [str(f) for f in OTLP[:3]] + [str(TAU)]
    db = str(tmp_path / "r.db")
    first = classify_paths(inputs, db=db, out=tmp_path / "first")
    assert first.status == "succeeded" and first.from_store == 0
    store = st.open_store(db)
    before = st.table_counts(store)
    store.close()

    again = classify_paths(inputs, db=db, out=tmp_path / "again")
    # Nothing new stored, and nothing new found (no second alert for the same night) ...
    assert (again.status, again.runs, again.findings, again.from_store) == ("skipped", 0, 0, 4)
    assert {f.status for f in again.files} == {"skipped"}
    store = st.open_store(db)
    after = st.table_counts(store)
    store.close()
    assert {k: after[k] for k in ("runs", "findings", "batch_inputs")} == {
        k: before[k] for k in ("runs", "findings", "batch_inputs")}
    # ... but --out holds the same four tables the first run wrote.
    assert sorted(again.outputs) == ["findings", "quarantine", "runs", "spans"]
    for name in ("spans", "findings", "quarantine"):
        assert _parquet(tmp_path / "again", name).equals(_parquet(tmp_path / "first", name)), name
    runs_first, runs_again = _parquet(tmp_path / "first", "runs"), _parquet(tmp_path / "again", "runs")
    assert runs_again.sort("run_id").equals(runs_first.sort("run_id"))  # the store orders runs by start time
    # The tau-bench trials are there with their declared outcomes.
    tau = runs_again.filter(runs_again["source_file"].str.ends_with("tau_bench_results.json"))
    assert sorted(tau["run_id"].to_list()) == ["0:trial=0", "0:trial=1", "1:trial=0", "1:trial=1"]
    assert pq.read_schema(tmp_path / "again" / "runs.parquet").metadata == \
        pq.read_schema(tmp_path / "first" / "runs.parquet").metadata  # the redaction banner too


def test_rerun_with_new_and_stored_inputs_writes_both(tmp_path):
    import polars as pl

    fresh = classify_paths([str(f) for f in OTLP[:4]], db=str(tmp_path / "fresh.db"), out=tmp_path / "fresh")
    db = str(tmp_path / "m.db")
    classify_paths([str(f) for f in OTLP[:2]], db=db)  # no --out the first time
    mixed = classify_paths([str(f) for f in OTLP[:4]], db=db, out=tmp_path / "mixed")
    assert [f.status for f in mixed.files] == ["skipped", "skipped", "stored", "stored"]
    assert mixed.from_store == 2
    for name in ("runs", "spans", "findings", "quarantine"):  # the same rows, new inputs' first
        got, want = _parquet(tmp_path / "mixed", name), _parquet(tmp_path / "fresh", name)
        flat = [c for c in want.columns if not isinstance(want.schema[c], pl.List)]
        assert got.sort(flat).equals(want.sort(flat)), name
    assert fresh.runs == _parquet(tmp_path / "mixed", "runs").height


def test_force_reclassifies_instead_of_reading_the_store(tmp_path):
    db = str(tmp_path / "f.db")
    classify_paths([str(OTLP[0])], db=db, out=tmp_path / "a")
    forced = classify_paths([str(OTLP[0])], db=db, out=tmp_path / "b", force=True)
    assert (forced.status, forced.from_store) == ("succeeded", 0)
    assert forced.replaced_runs == forced.runs > 0
    assert _parquet(tmp_path / "b", "runs").sort("run_id").equals(_parquet(tmp_path / "a", "runs").sort("run_id"))


def test_rerun_without_out_reads_nothing_back(tmp_path):
    db = str(tmp_path / "n.db")
    classify_paths([str(OTLP[0])], db=db)
    again = classify_paths([str(OTLP[0])], db=db)
    assert (again.status, again.from_store, again.outputs) == ("skipped", 0, {})
