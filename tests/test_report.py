"""The review report: what it counts, how it ranks the worst runs, that log text is escaped, and
that the CLI writes it with timelines from a real classified night."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from forensics import store as st
from forensics.report import write_report

sys.path.insert(0, str(Path(__file__).parent))
from test_store import POLICY, make_results

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_logs"
HOSTILE = '<script>alert("x")</script> | pipe `code` **bold**'


def _store_with_two_nights(tmp_path: Path) -> st.Store:
    store = st.open_store(str(tmp_path / "r.db"))
    for file, sha, ids in (("/logs/n1.json", "1" * 64, ["a1", "a2"]), ("/logs/n2.json", "2" * 64, ["b1", "b2", "b3"])):
        runs, findings = make_results(file, ids)
        if file.endswith("n2.json"):
            # Night 2: a critical finding with hostile text; its runs start a day later.
            findings = findings.set_column(findings.schema.get_field_index("severity"),
                                           findings.schema.field("severity"), pa.array(["critical", "low"]))
            findings = findings.set_column(findings.schema.get_field_index("explanation"),
                                           findings.schema.field("explanation"), pa.array([HOSTILE, "no retry"]))
            idx = runs.schema.get_field_index("start_time")
            shifted = [t.as_py().replace(day=21) for t in runs.column("start_time")]
            runs = runs.set_column(idx, runs.schema.field("start_time"),
                                   pa.array(shifted, runs.schema.field("start_time").type))
        inp = st.InputFile(path=file, sha256=sha, format="otlp-json")
        handle = st.start_batch(store, policy_version=POLICY, inputs=[inp])
        st.write_batch(handle, runs_table=runs, findings_table=findings, inputs=[inp],
                       problems=[st.Problem("/logs/bad<1>.json", "empty", "the file is empty")])
    return store


def test_report_counts_ranks_and_escapes(tmp_path):
    store = _store_with_two_nights(tmp_path)
    written = write_report(store, tmp_path / "rep")
    page = written["html"].read_text()
    md = written["markdown"].read_text()

    # Escaped everywhere: the raw tag never appears, its escaped form does.
    assert "<script>" not in page and "<script>" not in md
    assert html.escape(HOSTILE.split("|")[0].strip()) in page
    assert "&lt;script&gt;" in md
    assert "\\| pipe" in md  # a pipe in log text cannot break the Markdown table row
    assert "/logs/bad&lt;1&gt;.json" in page

    # 5 runs, 2 with findings (a1 and b1), 4 findings, 2 per class.
    assert "- **runs**: 5" in md
    assert "- **runs with findings**: 2" in md
    assert "- **findings**: 4" in md
    assert "| silent\\_failure | 2 | 2 | 2 |" in md
    assert "| missing\\_fallback | 2 | 2 | 0 |" in md
    # The critical finding's run (b1) is ranked first.
    worst = md.split("## Worst runs (2)")[1]
    assert worst.index("### Run b1") < worst.index("### Run a1")
    # No spans for these runs anywhere: said so, not faked.
    assert "its spans could not be found" in md
    # Fleet charts from forensics.charts: SVG inlined in the page, PNG beside it.
    charts = tmp_path / "rep" / "charts"
    for name in ("class_trend", "top_detectors"):
        svg = (charts / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<svg") and svg in page
        assert (charts / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](charts/{name}.svg)" in md
    # Self-contained: no external scripts or stylesheets.
    assert "src=\"http" not in page and "<link" not in page
    store.close()


def test_since_and_run_filters(tmp_path):
    store = _store_with_two_nights(tmp_path)
    written = write_report(store, tmp_path / "since", since="2026-11-21")
    md = written["markdown"].read_text()
    assert "- **runs**: 3" in md and "- **findings**: 2" in md
    one = write_report(store, tmp_path / "one", run_id="a1")["markdown"].read_text()
    assert one.startswith("# Run a1")
    assert "- **runs**: 1" in one
    from forensics.errors import InputError

    with pytest.raises(InputError, match="run `nope` is not in the store"):
        write_report(store, tmp_path / "none", run_id="nope")
    store.close()


def test_report_from_in_memory_tables_draws_the_timeline(tmp_path):
    from forensics.classify import classify
    from forensics.load import load

    sample = sorted(SAMPLES.glob("*.otlp.json"))
    if not sample:
        pytest.skip("sample_logs/ is not there yet")
    loaded = load(sample[:3])
    result = classify(loaded.spans)
    written = write_report({"runs": result.runs, "findings": result.findings, "spans": loaded.spans},
                           tmp_path / "mem")
    failing = sum(1 for ok in result.runs.column("ok").to_pylist() if not ok)
    timelines = sorted(p.name for p in (tmp_path / "mem" / "charts").glob("timeline_*.svg"))
    assert len(timelines) == min(5, failing)
    svg = (tmp_path / "mem" / "charts" / timelines[0]).read_text()
    assert svg.lstrip().startswith("<svg")
    assert svg in written["html"].read_text()  # inlined, the page stands alone


def test_cli_report_after_a_classified_night(tmp_path):
    files = sorted(SAMPLES.glob("*.otlp.json"))
    if not files:
        pytest.skip("sample_logs/ is not there yet")
    env = {**os.environ}
    db = str(tmp_path / "night.db")
    run = subprocess.run([sys.executable, "-m", "forensics.cli", "classify", *map(str, files), "--db", db,
                          "--out", str(tmp_path / "out"), "--json"], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    rep = subprocess.run([sys.executable, "-m", "forensics.cli", "report", "--db", db, "--out",
                          str(tmp_path / "rep")], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert rep.returncode == 0, rep.stderr
    md = (tmp_path / "rep" / "report.md").read_text()
    assert f"- **findings**: {summary['findings']}" in md
    assert f"- **runs**: {summary['runs']}" in md
    store = st.open_store(db)
    failing = st.read_runs(store).filter(~st.pl.col("ok")).height
    store.close()
    timelines = list((tmp_path / "rep" / "charts").glob("timeline_*.svg"))
    # Spans come from the batch's spans.parquet recorded in the store.
    assert len(timelines) == min(5, failing)
    assert "not drawn" not in md.split("## Worst runs")[1]


def test_trend_per_class_over_nights_from_the_store(tmp_path):
    store = _store_with_two_nights(tmp_path)
    trend = st.class_trend(store)
    rows = [(p.strftime("%Y-%m-%d"), c, f, r, n) for p, c, f, r, n in trend.iter_rows()]
    assert rows == [
        ("2026-11-20", "missing_fallback", 1, 1, 2),
        ("2026-11-20", "silent_failure", 1, 1, 2),
        ("2026-11-21", "missing_fallback", 1, 1, 3),
        ("2026-11-21", "silent_failure", 1, 1, 3),
    ]
    assert st.class_trend(store, since="2026-11-21").height == 2
    md = write_report(store, tmp_path / "rep")["markdown"].read_text()
    assert "| night | runs | missing_fallback | silent_failure |" in md
    assert "| 2026-11-20 | 2 | 1 | 1 |" in md
    assert "| 2026-11-21 | 3 | 1 | 1 |" in md
    store.close()
