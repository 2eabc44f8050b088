"""The classifier on Spark (local[2]) gives exactly the single-machine results: generated labeled
traffic, classified both ways, findings and runs equal as sets (every column, ns timestamps)."""

from __future__ import annotations

import collections
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from forensics import dataset as D
from forensics.classify import Classification, classify
from forensics.load import LoadResult, load
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA, SPAN_SCHEMA

pytestmark = [pytest.mark.spark, pytest.mark.slow]

pyspark = pytest.importorskip("pyspark", reason="pyspark is the `spark` extra: pip install 'agent-forensics[spark]'")

from forensics import spark as S  # noqa: E402

N_RUNS = 300


def _java_or_skip() -> None:
    if S.java_available():
        return
    message = "no Java runtime: Spark needs one (apt-get install default-jre-headless)"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must install it (.ci/run)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    _java_or_skip()
    # Two partitions by default: a few hundred runs need no more, and each task costs a Python
    # worker's start-up on a two-core machine.
    session = S.spark_session("local[2]", **{"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LoadResult, Classification]:
    """Labeled traffic with every failure class (the generator's default mix) and sessions that
    span several runs (a failed run redone in the same session); a third of the runs lose their
    session, so run-keyed and session-keyed groups are both exercised."""
    from forensics.synth.generator import generate

    d = tmp_path_factory.mktemp("traffic")
    labels = generate(N_RUNS, d / "night.jsonl", seed=5)
    loaded = load([d / "night.jsonl"])
    sid = loaded.spans.column("session_id").to_pylist()
    rid = loaded.spans.column("run_id").to_pylist()
    runs_in = collections.Counter(s for s, _ in set(zip(sid, rid, strict=True)))
    assert sum(n > 1 for n in runs_in.values()) >= 2  # sessions of several runs (a failed run redone)
    sid = [None if runs_in[s] == 1 and int(r[-2:], 16) % 3 == 0 else s for s, r in zip(sid, rid, strict=True)]
    spans = loaded.spans.set_column(3, SPAN_SCHEMA.field(3), pa.array(sid, pa.string()))
    # The generator's clock ticks in microseconds; shift each run by 1-997 ns (its spans alike, so
    # order and durations stay) so that a microsecond clock anywhere in Spark would show.
    shift = pa.array([int(r[:4], 16) % 997 + 1 for r in rid], pa.int64())
    for name in ("start_time", "end_time"):
        i = SPAN_SCHEMA.get_field_index(name)
        ns = pa.compute.add(spans.column(i).cast(pa.int64()), shift)
        spans = spans.set_column(i, SPAN_SCHEMA.field(i), ns.cast(SPAN_SCHEMA.field(i).type))
    loaded = LoadResult(spans, loaded.quarantine, loaded.report)
    expected = classify(loaded.spans)
    # The traffic really holds what the test is about, read from the generator's labels.
    label_rows = [json.loads(line) for line in labels.read_text().splitlines()]
    classes = {c for row in label_rows for c in row["expected_classes"]}
    assert classes == {"context_collapse", "ownership_gap", "missing_fallback", "silent_failure",
                       "runaway_cost", "unguarded_action"}
    assert sum(s is None for s in sid) > 0.2 * len(sid)
    return d, loaded, expected


def _multiset(table: pa.Table) -> collections.Counter[tuple[Any, ...]]:
    return collections.Counter(
        tuple(tuple(v) if isinstance(v, list) else v for v in row.values()) for row in table.to_pylist()
    )


def _assert_same(got: Classification, want: Classification) -> None:
    assert got.findings.schema.equals(FINDING_SCHEMA) and got.runs.schema.equals(RUN_SCHEMA)
    assert got.policy_version == want.policy_version
    assert got.runs.num_rows == want.runs.num_rows == N_RUNS
    assert got.findings.num_rows == want.findings.num_rows > 50
    assert _multiset(got.findings) == _multiset(want.findings)
    assert _multiset(got.runs) == _multiset(want.runs)


def test_classify_spark_equals_classify(spark: Any, traffic: tuple[Path, LoadResult, Classification]) -> None:
    _, loaded, expected = traffic
    # Nanoseconds that a microsecond clock would lose must survive the trip through Spark.
    for times in (expected.runs.column("start_time"), expected.findings.column("decisive_time")):
        assert all(v % 1000 for v in times.cast(pa.int64()).to_pylist() if v is not None)
    result = S.classify_spark(S.spans_to_spark(spark, loaded.spans), partitions=3)
    assert result.scope == "session"  # some enabled detectors look across a session
    _assert_same(result.to_arrow(), expected)
    # The Spark views have the tables' columns, times as bigint ns (no action: each would rerun the pass).
    assert result.runs.columns == RUN_SCHEMA.names and result.findings.columns == FINDING_SCHEMA.names
    assert dict(result.findings.dtypes)["decisive_time"] == dict(result.runs.dtypes)["end_time"] == "bigint"


def test_grouping_is_derived_from_detector_scopes() -> None:
    from forensics.detectors.registry import all_detectors

    detectors = all_detectors()
    assert S.grouping_scope(detectors) == "session"
    assert S.grouping_scope([d for d in detectors if d.scope == "run"]) == "run"


def test_dataset_round_trip_on_spark(spark: Any, traffic: tuple[Path, LoadResult, Classification],
                                     tmp_path: Path) -> None:
    _, loaded, expected = traffic
    root = tmp_path / "ds"
    D.append_load(loaded, root, n_buckets=8, redact=False)
    # The generator's night is 2025-11-20 (UTC): the date filter selects all of it.
    assert {f.date for f in D.committed_files(root, "spans")} == {"2025-11-20"}
    assert S.read_spans_spark(root, date="2025-11-21", spark=spark).count() == 0
    result = S.classify_dataset_spark(root, spark=spark, date="2025-11-20")
    _assert_same(result, expected)
    # Written back into the dataset, partitioned like the spans, in one commit.
    assert _multiset(D.read(root, "runs")) == _multiset(expected.runs)
    assert _multiset(D.read(root, "findings")) == _multiset(expected.findings)
    assert {f.date for f in D.committed_files(root, "findings")} == {"2025-11-20"}
    assert len(list((root / "_commits").glob("*.json"))) == 2  # the spans' append, then the results'


def test_cli_engine_spark_stores_what_local_stores(spark: Any, traffic: tuple[Path, LoadResult, Classification],
                                                   tmp_path: Path) -> None:
    """``forensics classify --engine spark``: same store and outputs as the local engine. Run in
    this process (the module's JVM), since a second JVM would double the test's time."""
    from typer.testing import CliRunner

    from forensics.cli import app
    from forensics.store import open_store, read_findings, read_runs

    d, _, _ = traffic
    runner = CliRunner()
    env = {"FORENSICS_REDACT_KEY": "test-key"}
    for engine in ("local", "spark"):
        done = runner.invoke(app, ["classify", str(d / "night.jsonl"), "--db", str(tmp_path / f"{engine}.db"),
                                   "--out", str(tmp_path / engine), "--engine", engine, "--json",
                                   "--dataset", str(tmp_path / f"ds-{engine}")], env=env)
        assert done.exit_code == 0, done.output
    stored = {}
    for engine in ("local", "spark"):
        store = open_store(str(tmp_path / f"{engine}.db"))
        try:
            stored[engine] = (read_runs(store), read_findings(store))
        finally:
            store.close()
    (lr, lf), (sr, sf) = stored["local"], stored["spark"]
    assert lr.height == sr.height > 0 and lf.height == sf.height > 0
    assert _multiset(lr.to_arrow()) == _multiset(sr.to_arrow())
    assert _multiset(lf.to_arrow()) == _multiset(sf.to_arrow())
    for name in ("runs", "findings"):
        assert _multiset(D.read(tmp_path / "ds-spark", name)) == _multiset(D.read(tmp_path / "ds-local", name))
    assert D.dataset_info(tmp_path / "ds-spark").redacted  # the batch's rule: redacted by default
    assert spark.sparkContext._jsc is not None  # the caller's session was not stopped by the engine


def test_spark_submit_entry(spark: Any, traffic: tuple[Path, LoadResult, Classification], tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    _, loaded, expected = traffic
    root = tmp_path / "ds"
    D.append_load(loaded, root, redact=False)
    code = S.main(["--dataset", str(root), "--date", "2025-11-20:2025-11-21", "--db", str(tmp_path / "f.db")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"classified: {N_RUNS:,} runs, {expected.findings.num_rows:,} findings" in out
    assert f"stored: batch 1 succeeded: {N_RUNS:,} runs" in out
    assert "runs and findings appended to" in out
    # Unchanged data: the rerun neither stores nor writes twice.
    assert S.main(["--dataset", str(root), "--db", str(tmp_path / "f.db")]) == 0
    out = capsys.readouterr().out
    assert "stored: batch 2 skipped: 0 runs" in out and "already in" in out
    assert D.read(root, "runs").num_rows == N_RUNS


def test_spark_submit_on_a_redacted_dataset_says_why(spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORENSICS_REDACT_KEY", "test-key")
    table = pa.Table.from_pylist([{"run_id": "r1", "span_id": "a", "kind": "llm", "status": "ok",
                                   "source_format": "t", "source_file": "f", "source_line": 1}], schema=SPAN_SCHEMA)
    D.append(table, tmp_path / "ds")
    assert S.main(["--dataset", str(tmp_path / "ds")]) == 2
    err = capsys.readouterr().err
    assert "redacted" in err and "Hint:" in err


def test_engine_spark_without_java_fails_before_loading_anything(tmp_path: Path) -> None:
    """A missing Java runtime is found before the night is loaded (no store, no outputs), with
    the install hint, and exits 3 like every environment problem. A real subprocess whose PATH
    holds no `java`."""
    import subprocess
    import sys

    sample = Path(__file__).resolve().parents[2] / "sample_logs"
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # an empty directory: no java anywhere
    done = subprocess.run([sys.executable, "-m", "forensics.cli", "classify", str(sample),
                           "--db", f"sqlite:///{tmp_path / 'f.db'}", "--out", str(tmp_path / "out"),
                           "--engine", "spark"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "no Java runtime" in done.stderr and "apt-get install default-jre-headless" in done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "f.db").exists()


def test_partitions_are_derived_from_the_span_count(spark: Any, traffic: tuple[Path, LoadResult, Classification],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --partitions, memory per task is bounded by spans per partition, not by a fixed
    partition count; and never fewer than two partitions per core."""
    _, loaded, _ = traffic
    df = S.spans_to_spark(spark, loaded.spans)
    cores = spark.sparkContext.defaultParallelism
    assert S.default_partitions(df) == 2 * cores  # a few thousand spans: the core floor
    monkeypatch.setattr(S, "SPANS_PER_PARTITION", 1_000)
    n_spans = loaded.spans.num_rows
    assert n_spans > 2 * cores * 1_000
    assert S.default_partitions(df) == -(-n_spans // 1_000)
