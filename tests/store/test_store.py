"""The results store against SQLite and a real PostgreSQL server: schema, transactions,
idempotence, forced reruns, crash recovery and two writers at once (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from forensics import store as st
from forensics.errors import StoreError
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA

sys.path.insert(0, str(Path(__file__).parents[1]))
import pg

# Fixtures shared with the CLI and batch tests (a real PostgreSQL server on loopback).
pg_server = pg.pg_server
db_url = pg.db_url

REPO = Path(__file__).resolve().parents[2]
POLICY = "default 1.0 sha256:abc"


T0 = datetime(2026, 11, 20, 2, 0, 0, 123456, tzinfo=UTC)


def make_results(file: str, run_ids: list[str], policy: str = POLICY) -> tuple[pa.Table, pa.Table]:
    """Runs (one per id, the first one failing with two findings) and their findings."""
    n = len(run_ids)
    start = [T0.replace(minute=i % 60) for i in range(n)]
    runs = pa.table(
        {
            "run_id": run_ids,
            "session_id": [None] * n,
            "source_format": ["otlp-json"] * n,
            "source_file": [file] * n,
            "start_time": pa.array(start, pa.timestamp("ns", tz="UTC")),
            "end_time": pa.array([None] * n, pa.timestamp("ns", tz="UTC")),
            "duration_ms": [None] * n,
            "agents": [["planner", "writer"]] + [["solo"]] * (n - 1),
            "span_count": [3] * n,
            "error_count": [1] + [0] * (n - 1),
            "input_tokens": [10] * n,
            "output_tokens": [None] * n,
            "cost_usd": [0.25] * n,
            "reported_outcome": ["success"] * n,
            "classes": [["silent_failure", "missing_fallback"]] + [[]] * (n - 1),
            "primary_class": ["silent_failure"] + [None] * (n - 1),
            "decisive_span_id": ["aa01"] + [None] * (n - 1),
            "ok": [False] + [True] * (n - 1),
            "strength": ["strong"] + [None] * (n - 1),
            "declared_outcome": ["failure"] + ["unknown"] * (n - 1),
            "unexplained_failure": [False] * n,
            "decisive_agent": ["planner"] + [None] * (n - 1),
            "decisive_step": [1] + [None] * (n - 1),
            "policy_version": [policy] * n,
        },
        schema=RUN_SCHEMA,
    )
    findings = pa.table(
        {
            "run_id": [run_ids[0], run_ids[0]],
            "session_id": [None, None],
            "failure_class": ["silent_failure", "missing_fallback"],
            "detector": ["swallowed_error", "unhandled_error"],
            "severity": ["high", "medium"],
            "strength": ["strong", "weak"],
            "evidence_span_ids": [["aa01", "aa02"], ["aa01"]],
            "decisive_span_id": ["aa01", "aa01"],
            "decisive_time": pa.array([T0, T0], pa.timestamp("ns", tz="UTC")),
            "explanation": ['tool "crm" failed <b>4</b> times; the run then returned success', "no retry"],
            "policy_version": [policy, policy],
        },
        schema=FINDING_SCHEMA,
    )
    return runs, findings


def _input(path: str, sha: str) -> st.InputFile:
    return st.InputFile(path=path, sha256=sha, size_bytes=10, format="otlp-json")


def _write(store, file, sha, run_ids, *, force=False):
    runs, findings = make_results(file, run_ids)
    handle = st.start_batch(store, policy_version=POLICY, inputs=[_input(file, sha)], force=force)
    return handle, st.write_batch(handle, runs_table=runs, findings_table=findings, inputs=[_input(file, sha)])


def test_open_creates_schema_at_head_matching_the_tables(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    store = st.open_store(db_url)
    assert st.current_revision(store) == st.head_revision() == "0003"
    assert st.table_counts(store) == {"batches": 0, "batch_inputs": 0, "runs": 0, "findings": 0}
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), st.metadata)
    # The migrations and store.metadata describe the same schema (no pending autogenerate diff).
    assert [d for d in diff if d[0] not in ("modify_default",)] == []
    # Opening again is a no-op upgrade.
    store.close()
    store = st.open_store(db_url)
    assert st.current_revision(store) == st.head_revision() == "0003"
    store.close()


def test_a_database_written_before_0002_opens_backfilled_and_reopens_unchanged(db_url):
    """Rows stored at revision 0001 (no strength, no declared outcome) are read after the upgrade:
    finding strengths come from the detectors' defaults of that time, a run's from its findings."""
    import sqlalchemy as sa

    store = st.Store(engine=sa.create_engine(db_url), url=db_url)
    st.upgrade(store, "0001")
    assert st.current_revision(store) == "0001"
    with store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO batches (id, started_at, finished_at, status, policy_version, forced) "
            "VALUES (1, :t, :t, 'succeeded', 'p', false)"), {"t": T0})
        for run_id, ok, cls in (("weakrun", False, "silent_failure"), ("strongrun", False, "missing_fallback"),
                                ("okrun", True, None)):
            conn.execute(sa.text(
                "INSERT INTO runs (batch_id, run_id, input_sha256, agents, span_count, error_count, "
                "reported_outcome, classes, primary_class, ok, policy_version) "
                "VALUES (1, :r, :h, '[]', 1, 0, 'success', '[]', :c, :ok, 'p')"),
                {"r": run_id, "h": "a" * 64, "c": cls, "ok": ok})
        for run_id, detector, explanation in (
            ("weakrun", "claimed_but_not_done", "the final answer says sent"),
            ("weakrun", "context_overflow", "model m was sent 99 prompt tokens, 99% of its 100-token window"),
            ("strongrun", "unhandled_error", "tool x failed"),
            ("strongrun", "claimed_but_not_done", "the final answer says sent"),
        ):
            conn.execute(sa.text(
                "INSERT INTO findings (batch_id, input_sha256, run_id, failure_class, detector, severity, "
                "evidence_span_ids, explanation, policy_version) "
                "VALUES (1, :h, :r, 'silent_failure', :d, 'high', '[]', :e, 'p')"),
                {"h": "a" * 64, "r": run_id, "d": detector, "e": explanation})
    store.close()

    for _ in range(2):  # the upgrade, then a no-op reopen
        store = st.open_store(db_url)
        assert st.current_revision(store) == "0003"
        runs = st.read_runs(store).sort("run_id")
        finds = st.read_findings(store).sort("run_id", "detector")
        store.close()
        assert runs.select("run_id", "strength", "declared_outcome", "unexplained_failure").rows() == [
            ("okrun", None, "unknown", False),
            ("strongrun", "strong", "unknown", False),
            ("weakrun", "weak", "unknown", False),
        ]
        assert runs["decisive_step"].null_count() == 3
        assert finds.select("run_id", "detector", "strength").rows() == [
            ("strongrun", "claimed_but_not_done", "weak"),
            ("strongrun", "unhandled_error", "strong"),
            ("weakrun", "claimed_but_not_done", "weak"),
            ("weakrun", "context_overflow", "weak"),
        ]


def test_a_store_written_before_0003_is_reclassified_once_by_the_versioned_classifier(db_url):
    """Claims stored before the classifier version was part of the key were made by a version nobody
    recorded: after the upgrade they are not 'already stored' for this classifier, the next write
    replaces their rows, and the rows then record who classified them."""
    import sqlalchemy as sa

    from forensics.classifier_version import classifier_version

    store = st.Store(engine=sa.create_engine(db_url), url=db_url)
    st.upgrade(store, "0002")  # (an explicit batch id far above the sequence: PostgreSQL does not advance it)
    with store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO batches (id, started_at, finished_at, status, policy_version, forced) "
            "VALUES (1000, :t, :t, 'succeeded', :p, false)"), {"t": T0, "p": POLICY})
        conn.execute(sa.text(
            "INSERT INTO batch_inputs (batch_id, sha256, policy_version, path, claimed_at) "
            "VALUES (1000, :h, :p, '/logs/a.json', :t)"), {"h": "a" * 64, "p": POLICY, "t": T0})
        conn.execute(sa.text(
            "INSERT INTO runs (batch_id, run_id, input_sha256, agents, span_count, error_count, "
            "reported_outcome, classes, primary_class, ok, policy_version) "
            "VALUES (1000, 'old', :h, '[]', 1, 0, 'success', '[]', NULL, true, :p)"), {"h": "a" * 64, "p": POLICY})
    store.close()

    store = st.open_store(db_url)
    try:
        assert st.current_revision(store) == "0003"
        assert st.read_runs(store)["classifier_version"].to_list() == [None]
        assert st.stored_hashes(store, ["a" * 64], POLICY) == {}
        assert st.stored_by_other_classifiers(store, ["a" * 64], POLICY) == {"a" * 64: "unrecorded"}
        _, res = _write(store, "/logs/a.json", "a" * 64, ["r1", "r2"])
        assert (res.status, res.replaced_runs, res.reclassified_inputs) == ("succeeded", 1, 1)
        runs = st.read_runs(store)
        assert sorted(runs["run_id"].to_list()) == ["r1", "r2"]
        assert set(runs["classifier_version"].to_list()) == {classifier_version()}
        assert st.table_counts(store)["batch_inputs"] == 1
        assert st.stored_hashes(store, ["a" * 64], POLICY) == {"a" * 64: res.batch_id}
        assert st.stored_by_other_classifiers(store, ["a" * 64], POLICY) == {}
    finally:
        store.close()


def test_default_url_is_forensics_db_in_cwd_or_env(tmp_path, monkeypatch):
    monkeypatch.delenv(st.DB_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert st.resolve_url() == f"sqlite:///{tmp_path / 'forensics.db'}"
    monkeypatch.setenv(st.DB_ENV, str(tmp_path / "night.db"))
    assert st.resolve_url() == f"sqlite:///{tmp_path / 'night.db'}"
    assert st.resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_write_and_read_back_round_trips_every_column(db_url):
    store = st.open_store(db_url)
    handle, res = _write(store, "/logs/a.json", "a" * 64, ["r1", "r2", "r3"])
    assert (res.status, res.runs, res.findings) == ("succeeded", 3, 2)
    assert res.stored_inputs == ("/logs/a.json",)

    runs = st.read_runs(store)
    assert runs.height == 3
    assert runs["run_id"].to_list() == ["r1", "r2", "r3"]
    assert runs["batch_id"].unique().to_list() == [handle.id]
    assert runs["input_sha256"].unique().to_list() == ["a" * 64]
    assert runs["agents"].to_list()[0] == ["planner", "writer"]
    assert runs["classes"].to_list()[1] == []
    # Microsecond precision survives (the stores keep µs; the schema's ns column is exact to µs).
    assert runs["start_time"][0] == T0
    assert runs.schema["start_time"] == pl.Datetime("ns", "UTC")
    assert runs["ok"].to_list() == [False, True, True]
    assert runs["output_tokens"].null_count() == 3

    finds = st.read_findings(store, run_id="r1")
    assert finds["detector"].to_list() == ["swallowed_error", "unhandled_error"]
    assert finds["evidence_span_ids"].to_list() == [["aa01", "aa02"], ["aa01"]]
    assert finds["explanation"][0] == 'tool "crm" failed <b>4</b> times; the run then returned success'

    batch = st.get_batch(store, handle.id)
    assert batch["status"] == "succeeded"
    assert batch["finished_at"] is not None
    assert batch["inputs"][0]["status"] == "stored"
    assert batch["inputs"][0]["sha256"] == "a" * 64
    assert batch["counts"]["runs"] == 3
    assert batch["counts"]["findings_by_class"] == {"missing_fallback": 1, "silent_failure": 1}
    assert st.stored_hashes(store, ["a" * 64, "b" * 64], POLICY) == {"a" * 64: handle.id}
    assert st.stored_hashes(store, ["a" * 64], "another policy") == {}
    # since/until filter on the run's start time (runs start at 02:00, 02:01, 02:02).
    assert st.read_runs(store, since="2026-11-20T02:01:00+00:00")["run_id"].to_list() == ["r2", "r3"]
    assert st.read_runs(store, until="2026-11-20T02:01:00+00:00")["run_id"].to_list() == ["r1"]
    assert st.read_findings(store, since="2026-11-20T02:01:00+00:00").height == 0
    batches = st.read_batches(store)
    assert batches["status"].to_list() == ["succeeded"]
    assert json.loads(batches["counts"][0])["findings"] == 2
    store.close()


#: Text a log can put in a stored column, and what each bulk writer must carry through exactly:
#: CSV's delimiter, quote and line ends (PostgreSQL's COPY), its end-of-data marker, a backslash,
#: the empty string beside NULL, non-ASCII and Unicode line separators.
HOSTILE_TEXT = ['say "hi", then\nleave', "a\rb", "\\.", "back\\slash\ttab", "", None, "  padded  ",
                "步骤\u2028二", "NULL", "\\N"]


def test_hostile_text_exact_floats_and_microseconds_round_trip(db_url):
    n = len(HOSTILE_TEXT)
    run_ids = [f"r{i}" for i in range(n)]
    runs, findings = make_results("/logs/h.json", run_ids)
    runs = runs.set_column(runs.schema.get_field_index("session_id"), "session_id",
                           pa.array(HOSTILE_TEXT, pa.string()))
    costs = [0.1, 1e-300, 123456789.123456, None, 0.0, 2.5e-7, 1 / 3, 7.0, None, 0.30000000000000004]
    runs = runs.set_column(runs.schema.get_field_index("cost_usd"), "cost_usd", pa.array(costs, pa.float64()))
    ends = [datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=UTC), None,
            datetime(1970, 1, 1, tzinfo=UTC), *[T0] * (n - 3)]
    runs = runs.set_column(runs.schema.get_field_index("end_time"), "end_time",
                           pa.array(ends, pa.timestamp("ns", tz="UTC")))
    findings = pa.concat_tables([findings] * 5).slice(0, n)
    findings = findings.set_column(findings.schema.get_field_index("explanation"), "explanation",
                                   pa.array([t if t is not None else "-" for t in HOSTILE_TEXT], pa.string()))
    findings = findings.set_column(findings.schema.get_field_index("decisive_span_id"), "decisive_span_id",
                                   pa.array(HOSTILE_TEXT, pa.string()))
    store = st.open_store(db_url)
    handle = st.start_batch(store, policy_version=POLICY, inputs=[_input("/logs/h.json", "h" * 64)])
    st.write_batch(handle, runs_table=runs, findings_table=findings, inputs=[_input("/logs/h.json", "h" * 64)])

    back = st.read_runs(store).sort("run_id")
    want = sorted(zip(run_ids, HOSTILE_TEXT, costs, ends, strict=True))
    assert back["session_id"].to_list() == [w[1] for w in want]
    assert back["cost_usd"].to_list() == [w[2] for w in want]
    assert back["end_time"].to_list() == [w[3] for w in want]
    finds = st.read_findings(store)
    assert sorted(finds["explanation"].to_list()) == sorted(t if t is not None else "-" for t in HOSTILE_TEXT)
    assert sorted(finds["decisive_span_id"].to_list(), key=str) == sorted(HOSTILE_TEXT, key=str)
    store.close()


def test_same_input_again_stores_nothing_new(db_url):
    store = st.open_store(db_url)
    _write(store, "/logs/a.json", "a" * 64, ["r1", "r2"])
    before = st.table_counts(store)
    handle, res = _write(store, "/logs/copy-of-a.json", "a" * 64, ["r1", "r2"])
    assert res.status == "skipped"
    assert res.claimed_elsewhere == ("/logs/copy-of-a.json",)
    after = st.table_counts(store)
    assert after["runs"] == before["runs"] == 2
    assert after["findings"] == before["findings"] == 2
    assert st.get_batch(store, handle.id)["status"] == "skipped"
    store.close()


def test_forced_rerun_replaces_rows_without_duplicates(db_url):
    store = st.open_store(db_url)
    first, _ = _write(store, "/logs/a.json", "a" * 64, ["r1", "r2"])
    _write(store, "/logs/b.json", "b" * 64, ["r9"])
    second, res = _write(store, "/logs/a.json", "a" * 64, ["r1", "r2"], force=True)
    assert (res.status, res.replaced_runs, res.replaced_findings) == ("succeeded", 2, 2)
    runs = st.read_runs(store)
    assert sorted(runs["run_id"].to_list()) == ["r1", "r2", "r9"]
    # r1/r2 now belong to the forced batch; b.json's run is untouched.
    assert dict(zip(runs["run_id"], runs["batch_id"], strict=True)) == {"r1": second.id, "r2": second.id,
                                                                          "r9": first.id + 1}
    assert st.table_counts(store)["findings"] == 4  # 2 for a (rewritten) + 2 for b
    assert st.table_counts(store)["batch_inputs"] == 2
    store.close()


def test_error_inside_the_write_rolls_back_and_marks_failed(db_url):
    store = st.open_store(db_url)
    _write(store, "/logs/a.json", "a" * 64, ["r1"])
    before = st.table_counts(store)
    runs, findings = make_results("/logs/b.json", ["x1", "x2"])
    # A null in a NOT NULL column fails the findings insert AFTER the runs were inserted.
    bad = findings.set_column(
        findings.schema.get_field_index("explanation"),
        pa.field("explanation", pa.string()),
        pa.array([None, "x"], pa.string()),
    )
    handle = st.start_batch(store, policy_version=POLICY, inputs=[_input("/logs/b.json", "b" * 64)])
    with pytest.raises(StoreError, match="rolled back") as info:
        st.write_batch(handle, runs_table=runs, findings_table=bad, inputs=[_input("/logs/b.json", "b" * 64)])
    assert "explanation" in str(info.value)
    after = st.table_counts(store)
    assert after["runs"] == before["runs"] == 1
    assert after["findings"] == before["findings"]
    assert after["batch_inputs"] == before["batch_inputs"] == 1
    batch = st.get_batch(store, handle.id)
    assert batch["status"] == "failed"
    assert "explanation" in batch["error"]
    # The failed input is not claimed: the next night retries it.
    assert st.stored_hashes(store, ["b" * 64], POLICY) == {}
    store.close()


WRITER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{tests!r}, {shared!r}]
    from test_store import _write
    from forensics import store as st
    if {pause!r}:
        from write_pause import install
        install(*{pause!r})
    s = st.open_store({url!r})
    handle, res = _write(s, {file!r}, {sha!r}, {runs!r})
    print(res.status, res.runs, res.findings, ",".join(res.claimed_elsewhere), flush=True)
    """
)


def _writer(url: str, file: str, sha: str, runs: list[str], pause: tuple[str, float] | None = None) -> subprocess.Popen:
    """A writer in its own process; ``pause=(flag, seconds)`` holds its transaction open (write_pause)."""
    code = WRITER.format(tests=str(Path(__file__).parent), shared=str(Path(__file__).parents[1]), url=url,
                         file=file, sha=sha, runs=runs, pause=pause)
    return subprocess.Popen(
        [sys.executable, "-c", code], env=dict(os.environ), cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"writer exited early: {proc.returncode}\n{proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError("writer never reached the pause")
        time.sleep(0.05)


def test_sigkill_inside_the_transaction_leaves_store_unchanged_and_batch_failed(db_url, tmp_path):
    store = st.open_store(db_url)
    _write(store, "/logs/a.json", "a" * 64, ["r1"])
    before = st.table_counts(store)
    store.close()

    flag = tmp_path / "paused"
    proc = _writer(db_url, "/logs/b.json", "b" * 64, ["x1", "x2", "x3"], pause=(str(flag), 600.0))
    _wait_for(flag, proc)
    proc.kill()  # SIGKILL: no handler, no rollback code runs in the victim
    proc.wait()

    store = st.open_store(db_url)
    assert len(store.recovered) == 1
    after = st.table_counts(store)
    assert {k: after[k] for k in ("runs", "findings", "batch_inputs")} == {
        k: before[k] for k in ("runs", "findings", "batch_inputs")
    }
    batch = st.get_batch(store, store.recovered[0])
    assert batch["status"] == "failed"
    assert f"process {proc.pid}" in batch["error"]
    assert st.stored_hashes(store, ["b" * 64], POLICY) == {}
    store.close()


def test_two_writers_on_the_same_input_store_it_once(db_url, tmp_path):
    st.open_store(db_url).close()  # migrate first, so both writers only race on the data
    flag = tmp_path / "paused"
    # A claims and inserts, then holds its transaction open for 3 s; B starts meanwhile.
    a = _writer(db_url, "/logs/a.json", "a" * 64, ["r1", "r2"],
                pause=(str(flag), 3.0))
    _wait_for(flag, a)
    b = _writer(db_url, "/logs/also-a.json", "a" * 64, ["r1", "r2"])
    out_a, err_a = a.communicate(timeout=120)
    out_b, err_b = b.communicate(timeout=120)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b
    assert out_a.split() == ["succeeded", "2", "2"]
    # B waited for A's commit (lock / unique-index wait), then found the input claimed.
    assert out_b.split() == ["skipped", "0", "0", "/logs/also-a.json"]
    store = st.open_store(db_url)
    counts = st.table_counts(store)
    assert (counts["runs"], counts["findings"], counts["batch_inputs"]) == (2, 2, 1)
    assert sorted(st.read_batches(store)["status"].to_list()) == ["skipped", "succeeded"]
    store.close()


def test_two_upgraded_writers_replace_an_older_classifiers_rows_once(db_url, tmp_path):
    """Both writers run a newer classifier than the one that stored the input: A deletes the older
    rows and claims inside its open transaction; B waits for it, then finds nothing older left to
    delete (it never deletes rows of its own version) and the input claimed: stored once."""
    store = st.open_store(db_url)
    runs, findings = make_results("/logs/a.json", ["old1"])
    old = st.start_batch(store, policy_version=POLICY, inputs=[_input("/logs/a.json", "a" * 64)],
                         classifier_version="0.0.1+older")
    st.write_batch(old, runs_table=runs, findings_table=findings, inputs=[_input("/logs/a.json", "a" * 64)])
    store.close()
    flag = tmp_path / "paused"
    a = _writer(db_url, "/logs/a.json", "a" * 64, ["r1", "r2"], pause=(str(flag), 3.0))
    _wait_for(flag, a)
    b = _writer(db_url, "/logs/also-a.json", "a" * 64, ["r1", "r2"])
    out_a, err_a = a.communicate(timeout=120)
    out_b, err_b = b.communicate(timeout=120)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, err_b
    assert out_a.split() == ["succeeded", "2", "2"]
    assert out_b.split() == ["skipped", "0", "0", "/logs/also-a.json"]
    store = st.open_store(db_url)
    counts = st.table_counts(store)
    assert (counts["runs"], counts["findings"], counts["batch_inputs"]) == (2, 2, 1)
    stored = st.read_runs(store)
    assert sorted(stored["run_id"].to_list()) == ["r1", "r2"]
    assert stored["classifier_version"].n_unique() == 1 and stored["classifier_version"][0] != "0.0.1+older"
    store.close()


def test_running_batch_of_a_live_process_is_left_alone(db_url):
    store = st.open_store(db_url)
    handle = st.start_batch(store, policy_version=POLICY)
    store2 = st.open_store(db_url)
    assert store2.recovered == []
    assert st.get_batch(store2, handle.id)["status"] == "running"
    store2.close()
    store.close()


def test_stale_batch_of_another_host_is_failed_after_heartbeat_timeout(db_url):
    from datetime import timedelta

    store = st.open_store(db_url)
    handle = st.start_batch(store, policy_version=POLICY)
    with store.write() as conn:
        conn.execute(
            st.batches.update().where(st.batches.c.id == handle.id).values(
                hostname="other-host", heartbeat_at=datetime(2026, 1, 1, tzinfo=UTC)
            )
        )
    store.close()
    store = st.open_store(db_url, stale_after=timedelta(hours=1))
    assert store.recovered == [handle.id]
    batch = st.get_batch(store, handle.id)
    assert batch["status"] == "failed"
    assert "other-host" in batch["error"]
    store.close()


def test_bad_url_is_a_store_error():
    with pytest.raises(StoreError, match="cannot open the results store"):
        st.open_store("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_live_pid_silent_for_too_long_is_presumed_reused(db_url):
    from datetime import timedelta

    store = st.open_store(db_url)
    handle = st.start_batch(store, policy_version=POLICY)
    with store.write() as conn:
        # Same host, a pid that is alive (our parent) but no heartbeat since January.
        conn.execute(
            st.batches.update().where(st.batches.c.id == handle.id).values(
                pid=os.getppid(), heartbeat_at=datetime(2026, 1, 1, tzinfo=UTC)
            )
        )
    store.close()
    store = st.open_store(db_url, stale_after=timedelta(hours=1))
    assert store.recovered == [handle.id]
    assert "pid now belongs to another process" in st.get_batch(store, handle.id)["error"]
    store.close()


def test_bad_since_is_input_error(tmp_path):
    from forensics.errors import InputError

    with pytest.raises(InputError, match="`last tuesday` is not a date or time"):
        st.read_runs(f"sqlite:///{tmp_path / 's.db'}", since="last tuesday")


def test_a_sqlite_store_in_a_directory_that_does_not_exist_yet(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/out/nightly/forensics.db"
    store = st.open_store(url)
    try:
        assert (tmp_path / "out" / "nightly" / "forensics.db").exists()
    finally:
        store.engine.dispose()


def test_the_store_and_the_nightly_job_import_no_pandas() -> None:
    """pyarrow imports pandas on a schema's first ``empty_table()`` (~1 s of wall time at a nightly
    job's start, which never uses it): the store's reader built its polars schemas that way when
    imported, and the job its empty outputs. ``forensics.schema.empty_table`` builds one from no
    record batches, with every column of the schema."""
    code = (
        "import sys; import forensics.batch, forensics.store, forensics.report; "
        "from forensics.schema import RUN_SCHEMA, empty_table; t = empty_table(RUN_SCHEMA); "
        "assert t.num_rows == 0 and t.schema == RUN_SCHEMA, t.schema; print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out
