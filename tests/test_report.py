"""The review report: what it counts, how it ranks the worst runs, that log text is escaped, and
that the CLI writes it with timelines from a real classified night."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from forensics import store as st
from forensics.report import write_report

sys.path.insert(0, str(Path(__file__).parent))
from store.test_store import POLICY, make_results  # tests/store/ (moved with forensics/store/)

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
    # The critical finding's run (b1) is ranked first; without spans a run is named by its agents.
    worst = md.split("## Worst runs (2)")[1]
    assert worst.index("- run b1; started 2026-11-21") < worst.index("- run a1; started 2026-11-20")
    assert "### planner → writer\n" in worst
    # No spans for these runs anywhere: said so, not faked; the decisive span by id and agent.
    assert "its spans could not be found" in md
    assert "- decisive span: span aa01 of agent planner (its name is unknown: the run's spans could not be found)" in md
    # One "Top detectors", in one unit (runs), the chart and its table together.
    assert md.count("## Top detectors") == 1 and page.count("<h2>Top detectors") == 1
    assert "## Top detectors (runs they fired on)\n\n![Top detectors (runs they fired on)](charts/top_detectors.svg)" in md
    assert "| detector | failure_class | severity | runs |" in md
    # Fleet charts from forensics.charts: SVG inlined in the page, PNG beside it.
    charts = tmp_path / "rep" / "charts"
    for name in ("class_trend", "top_detectors"):
        svg = (charts / f"{name}.svg").read_text()
        assert svg.lstrip().startswith("<svg") and svg in page
        assert (charts / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert md.count(f"](charts/{name}.svg)") == 1
    # Self-contained: no external scripts or stylesheets.
    assert "src=\"http" not in page and "<link" not in page
    store.close()


def test_fleet_pngs_are_the_svgs_rasterised_not_charts_rendered_twice(tmp_path, monkeypatch):
    """The PNG beside a fleet chart is its SVG rasterised (title and banner on it), the same
    image save_chart writes, without compiling the chart a second time."""
    import forensics.charts as charts

    saved: list[str] = []
    real = charts.save_chart

    def counted(chart: Any, path: Any, **kwargs: Any) -> Any:
        saved.append(Path(path).suffix)
        return real(chart, path, **kwargs)

    monkeypatch.setattr(charts, "save_chart", counted)
    store = _store_with_two_nights(tmp_path)
    write_report(store, tmp_path / "rep")
    store.close()
    assert ".png" not in saved and saved.count(".svg") >= 2
    out = tmp_path / "rep" / "charts"
    for name in ("class_trend", "top_detectors"):
        png = (out / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(png[16:20], "big")
        svg_width = float((out / f"{name}.svg").read_text().split('width="', 1)[1].split('"', 1)[0])
        assert width == round(svg_width * 2)  # save_chart's PNG scale


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
    failing = st.read_runs(store).filter(~pl.col("ok")).height
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
    assert "## Runs and findings per class per night" in md
    assert "| night | runs | missing_fallback | silent_failure |" in md
    assert "| 2026-11-20 | 2 | 1 | 1 |" in md
    assert "| 2026-11-21 | 3 | 1 | 1 |" in md
    store.close()


# --- for people who were not there: counts that add up, words that agree, runs and spans by name --


def _incident_night() -> dict[str, Any]:
    """The chart tables' incident (run-1, failing, decisive span `t1`, the refund tool of agent
    billing) plus clean runs, one of them alone on a night of its own (Nov 22)."""
    from chart_tables import incident, run, runs_table

    spans, findings = incident()
    runs = runs_table([
        run("run-1", 0, None, ["planner", "billing"], ["missing_fallback", "ownership_gap"], decisive_span_id="t1",
            span_count=7, error_count=1, cost_usd=None),
        run("run-2", 30, 40, ["planner"], [], span_count=1),
        run("run-3", 2 * 86400, 2 * 86400 + 5, ["planner"], []),
    ])  # fmt: skip
    return {"runs": runs, "findings": findings, "spans": spans}


def test_every_night_is_in_the_table_and_its_runs_add_up(tmp_path: Path) -> None:
    from forensics.report import gather, nightly_trend

    tables = _incident_night()
    trend = nightly_trend(gather(tables))
    # Nov 22 has only a clean run: it is a row, so the column adds up to the 3 runs.
    assert trend.select("night", "runs", "missing_fallback", "ownership_gap").rows() == [
        ("2026-11-20", 2, 1, 1), ("2026-11-22", 1, 0, 0)]  # fmt: skip
    md = write_report(tables, tmp_path / "r", redact=False)["markdown"].read_text()
    assert "- **runs**: 3" in md
    assert "| 2026-11-22 | 1 | 0 | 0 |" in md


def test_sample_night_table_adds_up_to_the_run_count(tmp_path: Path) -> None:
    from forensics.classify import classify
    from forensics.load import load
    from forensics.report import gather, nightly_trend

    loaded = load([SAMPLES])  # the directory walk, as the README runs it
    result = classify(loaded.spans)
    data = gather({"runs": result.runs, "findings": result.findings})
    trend = nightly_trend(data)
    # sample_logs: one labelled run per line of labels.jsonl (56 since the release-notes sample), one of
    # them (Nov 16, 23:02) on a night with no finding
    labelled = len((SAMPLES / "labels.jsonl").read_text().splitlines())
    assert labelled >= 56
    assert data.runs.height == labelled
    assert int(trend.get_column("runs").sum()) == labelled
    assert trend.row(0, named=True)["night"] == "2026-11-16" and trend.row(0, named=True)["runs"] == 1


def test_worst_run_is_named_by_its_root_span_and_its_decisive_span_by_name(tmp_path: Path) -> None:
    md = write_report(_incident_night(), tmp_path / "r", redact=False)["markdown"].read_text()
    worst = md.split("## Worst runs (1)")[1]
    assert worst.lstrip("\n").startswith("### planner\n")  # the root span a1
    assert "- run run-1; started 2026-11-20 02:13:00 UTC; file inline.jsonl; agents planner, billing" in worst
    assert "- decisive span: refund (tool span, agent billing, started 02:13:06 UTC)" in worst
    assert "![Timeline of planner (run run-1)](charts/timeline_1.svg)" in worst
    page = (tmp_path / "r" / "report.html").read_text()
    assert "<h3>planner</h3>" in page and "refund (tool span, agent billing, started 02:13:06 UTC)" in page


def test_counts_and_units_read_as_words(tmp_path: Path) -> None:
    md = write_report(_incident_night(), tmp_path / "r", redact=False)["markdown"].read_text()
    # 7 spans, 1 error, no cost recorded: not "1 errors", not "cost - USD"
    assert "- 7 spans, 1 error, cost not recorded; reported outcome success" in md
    assert "1 errors" not in md and "cost - USD" not in md


def test_strength_and_declared_outcome_are_shown_when_the_tables_have_them(tmp_path: Path) -> None:
    from chart_tables import finding, findings_table

    tables = _incident_night()
    if "strength" not in tables["findings"].column_names:
        pytest.skip("this tree's FINDING_SCHEMA has no `strength` column yet")
    tables["findings"] = findings_table([
        finding("run-1", "missing_fallback", "unhandled_error", ["t1"], "refund failed", strength="strong"),
        finding("run-1", "silent_failure", "claimed_but_not_done", ["t1"], "claims a refund", strength="weak",
                severity="medium"),
    ])  # fmt: skip
    md = write_report(tables, tmp_path / "r", redact=False)["markdown"].read_text()
    assert "  - **high** (strong) missing\\_fallback / unhandled\\_error: refund failed" in md
    assert "  - **medium** (weak) silent\\_failure / claimed\\_but\\_not\\_done: claims a refund" in md
    assert "- **runs declaring a failure no detector explains**: 0" in md
    assert "declared outcome unknown" in md


def test_a_hint_is_listed_for_review_but_counted_nowhere(tmp_path: Path) -> None:
    from chart_tables import finding, findings_table

    tables = _incident_night()
    tables["findings"] = findings_table([
        finding("run-1", "missing_fallback", "unhandled_error", ["t1"], "refund failed", strength="strong"),
        finding("run-1", "unguarded_action", "unguarded_irreversible", ["t1"],
                "possible irreversible act: schedule_payment, by its name only", strength="hint", severity="critical"),
    ])  # fmt: skip
    written = write_report(tables, tmp_path / "r", redact=False)
    md = written["markdown"].read_text()
    assert "## Hints: possible findings, shown for review" in md
    assert "possible irreversible act: schedule\\_payment, by its name only" in md
    assert "- **findings**: 1" in md and "- **hints (shown for review; they set no class)**: 1" in md
    # No count holds it: the class table has no unguarded_action row.
    assert "| unguarded\\_action |" not in md
    assert "possible irreversible act" in written["html"].read_text()


def test_a_run_whose_id_was_derived_says_how(tmp_path: Path) -> None:
    """tau-bench trials share a task id; the loader derives `task_id+trial` ids and the report names
    the derivation, so two runs of one task read as two transcripts, not a duplicate."""
    import polars as pl

    from forensics import load
    from forensics.report import run_story

    spans = pl.from_arrow(load(Path(__file__).parent / "data/chat_messages/tau_bench_results.json").spans)
    assert isinstance(spans, pl.DataFrame)
    run = {"run_id": "0:trial=1", "agents": [], "source_file": None, "decisive_span_id": None}
    story = run_story(run, spans.filter(pl.col("run_id") == "0:trial=1"))
    assert story.id_from == "task_id+trial"
    plain = run_story({"run_id": "x", "agents": ["a"], "source_file": None}, None)
    assert plain.id_from is None


def test_report_charts_are_built_and_written_without_schema_checks(tmp_path, monkeypatch):
    """The report's builders are ours (their specs rendered by the tests): altair's debug mode,
    which checks every object against the Vega-Lite schema as it is made, is off while they run
    and on again after; save_chart is told not to check the finished spec."""
    import altair.utils.schemapi as schemapi

    import forensics.charts as charts

    modes: list[bool] = []
    checks: list[bool] = []
    real_trend, real_save = charts.class_trend_chart, charts.save_chart

    def trend(*args: Any, **kwargs: Any) -> Any:
        modes.append(schemapi.DEBUG_MODE)
        return real_trend(*args, **kwargs)

    def save(chart: Any, path: Any, **kwargs: Any) -> Any:
        checks.append(kwargs.get("validate", True))
        return real_save(chart, path, **kwargs)

    monkeypatch.setattr(charts, "class_trend_chart", trend)
    monkeypatch.setattr(charts, "save_chart", save)
    store = _store_with_two_nights(tmp_path)
    write_report(store, tmp_path / "rep")
    store.close()
    assert modes == [False]
    assert checks and not any(checks)
    assert schemapi.DEBUG_MODE is True


def test_the_renderer_warms_on_a_side_thread_and_a_failure_there_is_left_to_the_figure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """write_report starts vl-convert's engine and imports the chart builders while it gathers the
    data (the first render's ~0.45 CPU s of engine start overlaps the store reads). A renderer that
    cannot start fails there silently: the figure that needs it reports it, as before."""
    import threading

    from forensics.report.figures import warm_renderer

    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    warming = warm_renderer()
    warming.join(timeout=120)
    assert not warming.is_alive() and warming.daemon and warming.name == "forensics-report-warm"
    assert "forensics.charts" in sys.modules
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # import vl_convert now raises ImportError
    failing = warm_renderer()
    failing.join(timeout=120)
    assert not failing.is_alive() and raised == []
