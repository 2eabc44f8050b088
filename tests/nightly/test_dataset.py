"""The partitioned span dataset: layout on disk, stable buckets, pruning, atomic appends, errors,
and classification bucket by bucket equal to one classify() over everything."""

from __future__ import annotations

import collections
import hashlib
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from span_builder import concat, span, spans

from forensics import dataset as D
from forensics.classify import classify
from forensics.load import load
from forensics.schema import SPAN_SCHEMA

SAMPLES = Path(__file__).resolve().parents[2] / "sample_logs"


def _bucket(key: str, n: int) -> int:
    """The documented bucket rule, written out independently of forensics.dataset."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big") % n


def _multiset(table: pa.Table) -> collections.Counter[tuple[Any, ...]]:
    return collections.Counter(
        tuple(tuple(v) if isinstance(v, list) else v for v in row.values()) for row in table.to_pylist()
    )


def _night() -> pa.Table:
    """Three runs: s1 holds r1 (2024-01-01 02:13) and r2, which starts the next day; r3 has no
    session. T0 of span_builder is 2024-01-01T02:13:00Z."""
    day = 24 * 3600
    return concat(
        spans(span("a", 0, session_id="s1", kind="agent", agent="planner"),
              span("b", 1, parent_id="a", session_id="s1", kind="tool", tool="search"), run_id="r1"),
        spans(span("c", day + 5, session_id="s1", kind="agent", agent="planner"), run_id="r2"),
        spans(span("d", 10, kind="agent", agent="solo"), span("e", 11, parent_id="d", kind="llm"), run_id="r3"),
    )


@pytest.fixture
def night_ds(tmp_path: Path) -> Path:
    root = tmp_path / "ds"
    D.append(_night(), root, n_buckets=16, redact=False)
    return root


# --------------------------------------------------------------------------------------------
# Layout and buckets
# --------------------------------------------------------------------------------------------


def test_stable_bucket_matches_blake2b_written_out() -> None:
    for key in ("run:r3", "s1", "support-desk-17", "ü-session", ""):
        assert D.bucket_of(key, 64) == _bucket(key, 64)
    # A known value, so a change of algorithm cannot pass by changing both sides.
    assert D.bucket_of("s1", 64) == int.from_bytes(hashlib.blake2b(b"s1", digest_size=8).digest(), "big") % 64


def test_layout_on_disk(night_ds: Path) -> None:
    meta = json.loads((night_ds / "_forensics.json").read_text())
    assert meta["layout_version"] == 1 and meta["n_buckets"] == 16 and meta["redacted"] is False
    assert "NOT REDACTED" in meta["redaction"]
    parts = sorted(p.relative_to(night_ds).as_posix() for p in (night_ds / "spans").rglob("*.parquet"))
    s1, r3 = _bucket("s1", 16), _bucket("run:r3", 16)
    dirs = sorted({p.rsplit("/", 1)[0] for p in parts})
    # r2 starts on 2024-01-02 but its session began on 2024-01-01: the whole session is dated then.
    assert dirs == sorted({f"spans/date=2024-01-01/bucket={s1:04d}", f"spans/date=2024-01-01/bucket={r3:04d}"})
    for p in parts:
        assert Path(p).name.startswith("part-") and not Path(p).name.startswith(".")
        table = pq.read_table(night_ds / p, partitioning=None)
        assert table.schema.names == SPAN_SCHEMA.names  # date and bucket come from the path only
        runs = set(table.column("run_id").to_pylist())
        assert runs == ({"r1", "r2"} if f"bucket={s1:04d}" in p else {"r3"})
    commits = list((night_ds / "_commits").glob("*.json"))
    assert len(commits) == 1
    record = json.loads(commits[0].read_text())
    assert sorted(f["path"] for f in record["files"]) == parts
    assert record["tables"] == {"spans": 5}


def test_rows_sorted_by_key_run_and_time(tmp_path: Path) -> None:
    table = concat(*[spans(span("x", 30 - i), span("y", 40 - i), run_id=f"r{i:02d}") for i in range(20)])
    D.append(table, tmp_path / "ds", n_buckets=1, redact=False)
    (part,) = (tmp_path / "ds" / "spans").rglob("*.parquet")
    rows = pq.read_table(part, partitioning=None).select(["run_id", "start_time"]).to_pylist()
    assert rows == sorted(rows, key=lambda r: ("run:" + r["run_id"], r["run_id"], r["start_time"]))


def test_read_back_equals_what_was_appended(night_ds: Path) -> None:
    back = D.read(night_ds)
    assert back.schema.equals(SPAN_SCHEMA)
    assert _multiset(back) == _multiset(_night())
    with_parts = D.read(night_ds, columns=["run_id", "date", "bucket"]).to_pylist()
    assert {(r["run_id"], r["date"], r["bucket"]) for r in with_parts} == {
        ("r1", "2024-01-01", _bucket("s1", 16)), ("r2", "2024-01-01", _bucket("s1", 16)),
        ("r3", "2024-01-01", _bucket("run:r3", 16)),
    }


def test_iter_groups_holds_whole_sessions(night_ds: Path) -> None:
    groups = [set(t.column("run_id").to_pylist()) for t in D.iter_groups(night_ds)]
    assert sorted(groups, key=sorted) == [{"r1", "r2"}, {"r3"}]


# --------------------------------------------------------------------------------------------
# Pruning
# --------------------------------------------------------------------------------------------


class _Spy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[list[str]] = []
        real = pads.dataset

        def spy(source: Any, *args: Any, **kwargs: Any) -> Any:
            self.opened.append(sorted(source))
            return real(source, *args, **kwargs)

        monkeypatch.setattr(pads, "dataset", spy)


def _two_nights(root: Path) -> None:
    day = 24 * 3600
    first = concat(*[spans(span("a", i), run_id=f"n1-{i}") for i in range(12)])
    second = concat(*[spans(span("a", day + i), run_id=f"n2-{i}") for i in range(12)])
    D.append(first, root, n_buckets=4, redact=False)
    D.append(second, root, redact=False)


def test_one_night_opens_only_that_nights_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ds"
    _two_nights(root)
    all_parts = sorted(p.relative_to(root).as_posix() for p in (root / "spans").rglob("*.parquet"))
    night2 = [p for p in all_parts if "date=2024-01-02" in p]
    assert night2 and len(night2) < len(all_parts)
    spy = _Spy(monkeypatch)
    table = D.read(root, date="2024-01-02")
    assert spy.opened == [sorted(str(root / p) for p in night2)]
    assert sorted(table.column("run_id").to_pylist()) == sorted(f"n2-{i}" for i in range(12))
    assert {f.path for f in D.files(root, date=("2024-01-01", "2024-01-02"))} == set(all_parts)
    assert D.files(root, date="2024-01-03") == []


def test_one_run_opens_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ds"
    _two_nights(root)
    spy = _Spy(monkeypatch)
    table = D.read(root, run_id="n1-7")
    assert table.column("run_id").to_pylist() == ["n1-7"]
    (opened,) = spy.opened
    # Its bucket's file of each night (no date given), out of eight.
    bucket = f"bucket={_bucket('run:n1-7', 4):04d}"
    assert len(opened) == 2 and all(bucket in p for p in opened)
    assert D.read(root, run_id="n1-7", date="2024-01-01").num_rows == 1
    assert len(spy.opened[1]) == 1 and bucket in spy.opened[1][0] and "date=2024-01-01" in spy.opened[1][0]


def test_run_of_a_session_is_found_through_its_session(night_ds: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(monkeypatch)
    assert D.read(night_ds, run_id="r2", session_id="s1").column("span_id").to_pylist() == ["c"]
    assert len(spy.opened) == 1 and len(spy.opened[0]) == 1
    # Without the session, the run's own bucket is empty and every bucket is searched.
    assert D.read(night_ds, run_id="r2").column("span_id").to_pylist() == ["c"]


def test_row_group_statistics_prune_a_one_run_read(tmp_path: Path) -> None:
    rows = [{"run_id": f"r{i:05d}", "span_id": f"s{j}", "kind": "llm", "status": "ok",
             "source_format": "test", "source_file": "inline", "source_line": j}
            for i in range(3000) for j in range(12)]
    D.append(pa.Table.from_pylist(rows, schema=SPAN_SCHEMA), tmp_path / "ds", n_buckets=1, redact=False)
    (part,) = (tmp_path / "ds" / "spans").rglob("*.parquet")
    meta = pq.ParquetFile(part).metadata
    assert meta.num_row_groups == -(-36_000 // D.ROW_GROUP_ROWS) >= 3
    fragment = next(pads.dataset(part).get_fragments())
    kept = fragment.split_by_row_group(filter=pads.field("run_id") == "r01234")
    assert len(kept) == 1


# --------------------------------------------------------------------------------------------
# Atomicity
# --------------------------------------------------------------------------------------------

_CRASH = textwrap.dedent("""
    import os, sys
    import pyarrow as pa
    from forensics import dataset as D
    table = pa.ipc.open_file(sys.argv[2]).read_all()
    real = D.DatasetWriter._write_part
    calls = []
    def dying(self, part, rel):
        calls.append(rel)
        if len(calls) == 2:
            os._exit(9)  # the machine dies between two files: no cleanup, no commit
        real(self, part, rel)
    D.DatasetWriter._write_part = dying
    D.append(table, sys.argv[1])
""")


def test_a_crashed_append_is_never_read_and_repair_removes_it(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    first = concat(*[spans(span("a", i), run_id=f"ok-{i}") for i in range(10)])
    D.append(first, root, n_buckets=8, redact=False)
    crashing = concat(*[spans(span("a", i), run_id=f"lost-{i}") for i in range(10)])
    ipc = tmp_path / "t.arrow"
    with pa.ipc.new_file(ipc, crashing.schema) as w:
        w.write_table(crashing)
    done = subprocess.run([sys.executable, "-c", _CRASH, str(root), str(ipc)], capture_output=True, text=True)
    assert done.returncode == 9, done.stderr
    on_disk = list((root / "spans").rglob("*.parquet"))
    orphans = [p for p in on_disk if p.relative_to(root).as_posix() not in {f.path for f in D.committed_files(root)}]
    assert len(orphans) == 1  # the first file of the crashed append was renamed into place
    assert sorted(D.read(root).column("run_id").to_pylist()) == sorted(f"ok-{i}" for i in range(10))
    assert len(list((root / "_commits").glob("*.json"))) == 1
    assert D.repair(root, older_than_seconds=3600) == []  # too young: could be an append still running
    removed = D.repair(root, older_than_seconds=0)
    assert removed == [orphans[0].relative_to(root).as_posix()]
    assert not orphans[0].exists()
    assert D.read(root).num_rows == 10


def test_an_append_that_raises_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ds"
    D.append(_night(), root, n_buckets=8, redact=False)
    before = sorted(p for p in root.rglob("*") if p.is_file())
    real = D.DatasetWriter._write_part
    calls: list[Any] = []

    def failing(self: D.DatasetWriter, part: pa.Table, rel: Path) -> None:
        calls.append(rel)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(self, part, rel)

    monkeypatch.setattr(D.DatasetWriter, "_write_part", failing)
    with pytest.raises(OSError, match="No space"):
        D.append(_night(), root)
    assert sorted(p for p in root.rglob("*") if p.is_file()) == before


# --------------------------------------------------------------------------------------------
# Loaders' output, classification
# --------------------------------------------------------------------------------------------


def test_append_two_loaders_outputs(tmp_path: Path) -> None:
    a = load([SAMPLES / "01_support_triage_swallowed_429.otlp.json"])
    b = load([SAMPLES / "05_order_confirmation_twice.langfuse.json"])
    root = tmp_path / "ds"
    ra = D.append_load(a, root, redact=False)
    rb = D.append_load(b, root)
    assert ra.tables["spans"] == a.spans.num_rows and rb.tables["spans"] == b.spans.num_rows
    back = D.read(root)
    assert back.num_rows == a.spans.num_rows + b.spans.num_rows
    assert set(back.column("source_format").to_pylist()) == {"otlp-json", "langfuse"}
    assert _multiset(back) == _multiset(pa.concat_tables([a.spans, b.spans]))
    assert len(list((root / "_commits").glob("*.json"))) == 2


def test_classify_dataset_equals_classify(tmp_path: Path) -> None:
    from forensics.synth.generator import generate

    generate(240, tmp_path / "night.jsonl", seed=11)
    loaded = load([tmp_path / "night.jsonl"])
    # A third of the runs without a session, so both kinds of grouping key are exercised.
    sid = loaded.spans.column("session_id").to_pylist()
    rid = loaded.spans.column("run_id").to_pylist()
    sid = [None if int(r[-2:], 16) % 3 == 0 else s for s, r in zip(sid, rid, strict=True)]
    spans_t = loaded.spans.set_column(3, SPAN_SCHEMA.field(3), pa.array(sid, pa.string()))
    root = tmp_path / "ds"
    D.append(spans_t, root, n_buckets=8, redact=False)
    assert len(D.buckets(root)) == 8
    whole = classify(spans_t)
    by_bucket = D.classify_dataset(root)
    assert whole.findings.num_rows > 20 and whole.runs.num_rows == 240
    assert _multiset(by_bucket.findings) == _multiset(whole.findings)
    assert _multiset(by_bucket.runs) == _multiset(whole.runs)
    source = D.spans_read_key(root)
    first = D.write_results(by_bucket, root, source=source)
    again = D.write_results(by_bucket, root, source=source)
    assert not first.already_written and again.already_written and again.append_id == first.append_id
    assert _multiset(D.read(root, "runs")) == _multiset(whole.runs)
    assert _multiset(D.read(root, "findings")) == _multiset(whole.findings)
    # A finding is dated and bucketed like its run.
    f = D.read(root, "findings", columns=["run_id", "session_id", "date", "bucket"]).to_pylist()[0]
    key = f["session_id"] if f["session_id"] is not None else "run:" + f["run_id"]
    assert f["bucket"] == _bucket(key, 8)
    assert D.read(root, "findings", run_id=f["run_id"], session_id=f["session_id"]).num_rows >= 1


# --------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------


def test_redacted_by_default_and_said_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORENSICS_REDACT_KEY", "test-key")
    table = spans(span("a", 0, kind="llm", output="mail me at jane.doe@example.com"), run_id="r1")
    root = tmp_path / "ds"
    result = D.append(table, root)
    assert result.redacted
    meta = json.loads((root / "_forensics.json").read_text())
    assert meta["redacted"] is True and meta["redaction"].startswith("Redacted:")
    (part,) = (root / "spans").rglob("*.parquet")
    footer = pq.read_schema(part).metadata[b"forensics.redaction"].decode()
    assert footer.startswith("Redacted:")
    text = D.read(root).column("output")[0].as_py()
    assert "jane.doe@example.com" not in text and "<email:" in text
    with pytest.raises(D.DatasetError, match="redacted") as info:
        D.classify_dataset(root)
    assert "redact=False" in (info.value.hint or "")
    with pytest.raises(D.DatasetError, match="is redacted; this run would write it in clear") as info:
        D.append(table, root, redact=False)
    assert "never a mix" in (info.value.hint or "")


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(D.NotADatasetError) as info:
        D.read(tmp_path / "nope")
    assert info.value.where == str(tmp_path / "nope") and "--dataset" in (info.value.hint or "")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    with pytest.raises(D.NotADatasetError, match="not empty"):
        D.append(_night(), tmp_path / "busy")
    assert not (tmp_path / "busy" / "_forensics.json").exists()


def test_wrong_layout_version(night_ds: Path) -> None:
    meta = night_ds / "_forensics.json"
    raw = json.loads(meta.read_text())
    raw["layout_version"] = 7
    meta.write_text(json.dumps(raw))
    with pytest.raises(D.LayoutVersionError, match="layout version 7") as info:
        D.read(night_ds)
    assert info.value.where == str(meta) and info.value.hint


def test_schema_mismatch_in_a_part_file(night_ds: Path) -> None:
    victim = night_ds / D.committed_files(night_ds, "spans")[0].path
    pq.write_table(pa.table({"run_id": ["r1"], "surprise": [1]}), victim)
    with pytest.raises(D.DatasetSchemaError, match="surprise") as info:
        D.read(night_ds)
    assert info.value.where == str(victim) and "commit record" in (info.value.hint or "")


def test_append_with_other_bucket_count(night_ds: Path) -> None:
    with pytest.raises(D.DatasetError, match="n_buckets=32.*16 buckets") as info:
        D.append(_night(), night_ds, n_buckets=32)
    assert "omit n_buckets" in (info.value.hint or "")


def test_append_of_a_table_without_span_columns(tmp_path: Path) -> None:
    with pytest.raises(D.DatasetSchemaError, match="`span_id`") as info:
        D.append(pa.table({"run_id": ["r1"]}), tmp_path / "ds", redact=False)
    assert info.value.hint


def test_unknown_table_and_bad_date(night_ds: Path) -> None:
    with pytest.raises(D.DatasetError, match="`spanz`") as info:
        D.read(night_ds, "spanz")
    assert "`spans`" in (info.value.hint or "")
    with pytest.raises(D.DatasetError, match="not YYYY-MM-DD"):
        D.read(night_ds, date="yesterday")


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_cli_load_appends_to_a_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from forensics.cli import app

    monkeypatch.setenv("FORENSICS_REDACT_KEY", "test-key")
    runner = CliRunner()
    order = SAMPLES / "05_order_confirmation_twice.langfuse.json"
    crm = SAMPLES / "02_crm_lookup_loop.otel.jsonl"
    root = tmp_path / "ds"
    done = runner.invoke(app, ["load", str(order), "--dataset", str(root)])
    assert done.exit_code == 0, done.output
    assert f"dataset: {root} (append " in done.output and "outputs: redacted" in done.output
    done = runner.invoke(app, ["load", str(crm), "--dataset", str(root)])
    assert done.exit_code == 0, done.output
    back = D.read(root)
    assert back.num_rows == load([order]).spans.num_rows + load([crm]).spans.num_rows
    text = " ".join(v for v in back.column("output").to_pylist() + back.column("input").to_pylist() if v)
    # The order sample writes the customer's address j.ortiz@example.com in its tool calls.
    assert "j.ortiz@example.com" in order.read_text()
    assert "j.ortiz@example.com" not in text and "<email:" in text
    # The dataset is redacted: an in-clear append is refused before anything is loaded.
    done = runner.invoke(app, ["load", str(crm), "--dataset", str(root), "--no-redact"])
    assert isinstance(done.exception, D.DatasetError)
    assert "--no-redact" in (done.exception.hint or "")
    assert D.read(root).num_rows == back.num_rows


def test_cli_classify_writes_the_night_into_a_dataset(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from forensics.cli import app
    from forensics.store import open_store, read_runs
    from forensics.synth.generator import generate

    generate(60, tmp_path / "night.jsonl", seed=2)
    root = tmp_path / "ds"
    done = CliRunner().invoke(app, ["classify", str(tmp_path / "night.jsonl"), "--db", str(tmp_path / "f.db"),
                                    "--out", str(tmp_path / "out"), "--dataset", str(root), "--no-redact",
                                    "--json"])
    assert done.exit_code in (0, 1), done.output
    summary = json.loads(done.output)
    assert summary["outputs"]["dataset"].startswith(f"{root} (append ")
    assert (tmp_path / "out" / "spans.parquet").exists()  # the Parquet outputs are still written
    assert D.dataset_info(root).redacted is False
    store = open_store(str(tmp_path / "f.db"))
    try:
        stored = read_runs(store)
    finally:
        store.close()
    assert D.read(root, "runs").num_rows == stored.height == summary["runs"] == 60
    assert D.read(root, "findings").num_rows == summary["findings"]
    assert D.read(root).num_rows == pq.read_metadata(tmp_path / "out" / "spans.parquet").num_rows
    # One commit holds the whole night.
    (record,) = [json.loads(p.read_text()) for p in (root / "_commits").glob("*.json")]
    assert set(record["tables"]) == {"spans", "runs", "findings"}
    # The dataset classifies to what was stored, to the last bit (60 runs in 64 buckets give 1-run
    # tables: see test_duration_does_not_depend_on_the_tables_size).
    again, written = D.classify_dataset(root).runs, D.read(root, "runs")
    assert _multiset(again) == _multiset(written)


def test_duration_does_not_depend_on_the_tables_size() -> None:
    one = spans(span("a", 0, end=10.723907, kind="agent"), run_id="r1")
    other = spans(span("a", 0, end=3.0, kind="agent"), run_id="r2")
    alone = classify(one).runs.column("duration_ms").to_pylist()
    beside = classify(concat(one, other)).runs.filter(pa.compute.equal(
        classify(concat(one, other)).runs.column("run_id"), "r1")).column("duration_ms").to_pylist()
    assert alone == beside


def test_a_runs_cost_does_not_depend_on_row_order_or_the_tables_size() -> None:
    """The sum of a run's costs is the same alone, shuffled, and beside thousands of other runs
    (polars adds floats in blocks whose boundaries move with the table: a Spark partition and the
    whole night gave 5.383 and 5.383000000000001 for a real sample run)."""
    import random

    rng = random.Random(4)
    costs = [round(rng.uniform(0, 0.9), 6) for _ in range(60)]
    rows = [span(f"l{i}", i, kind="llm", model="m", cost_usd=c) for i, c in enumerate(costs)]
    alone = classify(spans(*rows, run_id="r1")).runs.column("cost_usd").to_pylist()
    assert alone[0] == float(sum(Decimal(str(c)) for c in costs))  # the exact decimal sum, rounded once
    others = [spans(span("x", 0, kind="llm", model="m", cost_usd=rng.uniform(0, 1)), run_id=f"o{k}")
              for k in range(3000)]
    for _ in range(3):
        rng.shuffle(rows)
        table = concat(*others[: rng.randrange(3000)], spans(*rows, run_id="r1"))
        runs = classify(table).runs
        mine = runs.filter(pa.compute.equal(runs.column("run_id"), "r1")).column("cost_usd").to_pylist()
        assert mine == alone


def test_result_parts_written_before_the_strength_and_outcome_columns_still_read(tmp_path: Path) -> None:
    """A dataset from before findings had `strength` and runs `declared_outcome` & co.: its part
    files lack those columns; they read as the documented defaults, and new parts sit beside them."""
    from forensics.schema import ADDED_COLUMNS

    table = concat(
        spans(span("root", 0, 4, kind="agent", name="a", output="Done."),
              span("t1", 1, parent_id="root", kind="tool", tool="x.get", input="{}", status="error", error_type="500"),
              run_id="old-run"),
    )  # fmt: skip
    result = classify(table)
    root = tmp_path / "ds"
    D.write_results(result, root, source="night-1")
    # Rewrite every committed runs/findings part as the older writer did: without the new columns.
    for name in ("runs", "findings"):
        for part in D.files(root, name):
            path = root / part.path
            old = pq.read_table(path)
            pq.write_table(old.drop_columns([c for c in ADDED_COLUMNS[name] if c in old.column_names]), path)
    runs = D.read(root, "runs")
    finds = D.read(root, "findings")
    (row,) = runs.to_pylist()
    assert (row["run_id"], row["declared_outcome"], row["unexplained_failure"]) == ("old-run", "unknown", False)
    assert row["strength"] is None and row["decisive_step"] is None
    assert set(finds.column("detector").to_pylist()) == {"swallowed_error"}  # the 500 under "Done."
    assert set(finds.column("strength").to_pylist()) == {"strong"}  # the detectors' declared defaults
