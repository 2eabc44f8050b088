"""The run explorer: the pure filter query, then the widget's controls and callbacks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import ipywidgets as w
import pytest
from chart_tables import T0, at, finding, findings_table, run, runs_table, span, spans_table

from forensics.errors import InputError
from forensics.widgets import LIST_LIMIT, build_run_index, filter_runs, run_explorer

SCRIPT = "<script>window.__pwned=1</script>"


@pytest.fixture(scope="module")
def tables() -> tuple[Any, Any, Any]:
    spans = spans_table([
        span("r1", "a", 0, 10, kind="agent", agent="triage"),
        span("r1", "t", 1, 2, kind="tool", agent="triage", tool="crm.lookup", status="error",
             error_type="HTTP 429", error_message="Too Many Requests"),
        span("r2", "a", 3600, 3610, kind="agent", agent="billing"),
        span("r2", "t", 3601, 3602, kind="tool", agent="billing", tool="refund", name=f"refund {SCRIPT}"),
        span("r3", "a", 7200, 7210, kind="agent", agent="triage", session_id="sess-9"),
        span("r4", "a", 10800, 10810, kind="agent", agent="billing"),
        span("r4", "t", 10801, 10802, kind="tool", agent="billing", tool="crm.lookup"),
    ])  # fmt: skip
    findings = findings_table([
        finding("r1", "missing_fallback", "unhandled_error", ["t"], "crm.lookup failed with HTTP 429; nothing retried it"),
        finding("r1", "silent_failure", "swallowed_error", ["t"], "the run reported success after the 429"),
        finding("r2", "unguarded_action", "irreversible_without_approval", ["t"], f"refund ran unapproved {SCRIPT}"),
        finding("r4", "silent_failure", "error_as_data", ["t"], "crm.lookup returned an error as data"),
    ])  # fmt: skip
    runs = runs_table([
        run("r1", 0, 10, ["triage"], ["missing_fallback", "silent_failure"], error_count=1),
        run("r2", 3600, 3610, ["billing"], ["unguarded_action"]),
        run("r3", 7200, 7210, ["triage"], [], session_id="sess-9"),
        run("r4", 10800, 10810, ["billing"], ["silent_failure"]),
    ])  # fmt: skip
    return spans, runs, findings


def ids(frame: Any) -> list[str]:
    return frame.get_column("run_id").to_list()


def test_filter_by_each_criterion(tables: Any) -> None:
    spans, runs, findings = tables
    index = build_run_index(spans, findings)
    assert ids(filter_runs(runs, findings, index)) == ["r1", "r2", "r3", "r4"]
    assert ids(filter_runs(runs, findings, index, failure_class="silent_failure")) == ["r1", "r4"]
    assert ids(filter_runs(runs, findings, index, detector="error_as_data")) == ["r4"]
    assert ids(filter_runs(runs, findings, index, agent="triage")) == ["r1", "r3"]
    assert ids(filter_runs(runs, findings, index, tool="crm.lookup")) == ["r1", "r4"]
    assert ids(filter_runs(runs, findings, index, start=at(3600), end=at(7200))) == ["r2", "r3"]
    assert ids(filter_runs(runs, findings, index, failed_only=True)) == ["r1", "r2", "r4"]


def test_free_text_searches_ids_sessions_errors_and_explanations(tables: Any) -> None:
    spans, runs, findings = tables
    index = build_run_index(spans, findings)
    assert ids(filter_runs(runs, findings, index, text="too many REQUESTS")) == ["r1"]
    assert ids(filter_runs(runs, findings, index, text="SESS-9")) == ["r3"]
    assert ids(filter_runs(runs, findings, index, text="returned an error as data")) == ["r4"]
    assert ids(filter_runs(runs, findings, index, text="no such thing")) == []


def test_criteria_combine(tables: Any) -> None:
    spans, runs, findings = tables
    index = build_run_index(spans, findings)
    got = filter_runs(runs, findings, index, failure_class="silent_failure", agent="billing", tool="crm.lookup")
    assert ids(got) == ["r4"]


def test_tool_filter_without_the_index_is_a_clear_error(tables: Any) -> None:
    _, runs, findings = tables
    with pytest.raises(InputError, match="needs the per-run index") as err:
        filter_runs(runs, findings, None, tool="refund")
    assert "build_run_index" in str(err.value)


def test_explorer_has_every_control(tables: Any) -> None:
    explorer = run_explorer(*tables).explorer
    assert [o[1] for o in explorer.class_filter.options] == [
        "", "missing_fallback", "silent_failure", "unguarded_action"]  # fmt: skip
    assert [o[1] for o in explorer.tool_filter.options] == ["", "crm.lookup", "refund"]
    assert [o[1] for o in explorer.agent_filter.options] == ["", "billing", "triage"]
    assert "swallowed_error" in [o[1] for o in explorer.detector_filter.options]
    assert isinstance(explorer.text_filter, w.Text)
    assert isinstance(explorer.time_range, w.SelectionRangeSlider)
    assert explorer.time_range.options[0][1] == T0
    assert isinstance(explorer.export_button, w.Button) and explorer.export_button.disabled
    assert [v for _, v in explorer.run_list.options] == ["r1", "r2", "r3", "r4"]
    assert explorer.count.value == "4 runs match"


def test_controls_filter_the_run_list(tables: Any) -> None:
    explorer = run_explorer(*tables).explorer
    explorer.class_filter.value = "silent_failure"
    assert [v for _, v in explorer.run_list.options] == ["r1", "r4"]
    explorer.text_filter.value = "429"
    assert [v for _, v in explorer.run_list.options] == ["r1"]
    explorer.text_filter.value = ""
    explorer.class_filter.value = ""
    explorer.time_range.index = (1, len(explorer.time_range.options) - 1)
    assert "r1" not in [v for _, v in explorer.run_list.options]
    assert explorer.count.value == "3 runs match"


def test_picking_a_run_shows_its_timeline_findings_and_spans(tables: Any) -> None:
    explorer = run_explorer(*tables).explorer
    explorer.run_list.value = "r2"
    (output,) = explorer.chart_output.outputs
    spec = output["data"]["application/vnd.vegalite.v5+json"]
    assert spec["title"]["text"] == "a (run r2)"  # named by its root span
    assert "irreversible_without_approval" in explorer.findings_html.value
    # log content is escaped, never markup
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in explorer.findings_html.value
    assert "<script>" not in explorer.findings_html.value + explorer.spans_html.value
    assert "refund &lt;script&gt;" in explorer.spans_html.value
    assert not explorer.export_button.disabled
    explorer.run_list.value = "r3"
    assert explorer.chart_output.outputs[0]["data"]["application/vnd.vegalite.v5+json"]["title"]["text"] == "a (run r3)"
    assert "came out clean" in explorer.findings_html.value


def test_export_button_writes_the_current_chart(tables: Any, tmp_path: Path) -> None:
    explorer = run_explorer(*tables, export_dir=tmp_path / "out").explorer
    explorer.run_list.value = "r1"
    explorer.export_format.value = "svg"
    explorer.export_button.click()
    written = tmp_path / "out" / "timeline-r1.svg"
    assert written.exists() and "a (run r1)" in written.read_text()
    assert str(written) in explorer.export_status.value


def test_list_is_capped_and_says_so() -> None:
    n = LIST_LIMIT + 20
    spans = spans_table([span(f"r{i:04d}", "a", i, i + 1, kind="agent", agent="x") for i in range(n)])
    runs = runs_table([run(f"r{i:04d}", i, i + 1, ["x"], []) for i in range(n)])
    explorer = run_explorer(spans, runs, findings_table([])).explorer
    assert len(explorer.run_list.options) == LIST_LIMIT
    assert explorer.count.value == f"{n} runs match; showing the first {LIST_LIMIT}"
    assert explorer.time_range.options[-1][1] == T0 + timedelta(seconds=n - 1)


def test_a_run_the_timeline_cannot_draw_says_why_in_the_widget() -> None:
    spans = spans_table([span("r9", "a", None, None, kind="agent", agent="x", name="<b>no clock</b>")])
    runs = runs_table([run("r9", 0, 1, ["x"], [])])
    explorer = run_explorer(spans, runs, findings_table([])).explorer
    explorer.run_list.value = "r9"
    (output,) = explorer.chart_output.outputs
    assert "none has a start time" in output["data"]["text/plain"]
    assert explorer.export_button.disabled
    assert "&lt;b&gt;no clock&lt;/b&gt;" in explorer.spans_html.value


def test_exported_charts_are_redacted_unless_the_caller_opts_out(tmp_path: Path) -> None:
    secret = "dana.whitfield@example.com"
    spans = spans_table([
        span("r5", "a", 0, 4, kind="agent", agent="mailer"),
        span("r5", "b", 1, 2, kind="tool", agent="mailer", tool="email.send", parent_id="a",
             status="error", error_message=f"bounce from {secret}"),
    ])
    runs = runs_table([run("r5", 0, 4, ["mailer"], [])])
    for redact, folder in ((True, "red"), (False, "clear")):
        explorer = run_explorer(spans, runs, findings_table([]), export_dir=tmp_path / folder,
                                redact_exports=redact).explorer
        explorer.run_list.value = "r5"
        explorer.export_format.value = "html"  # the HTML export carries the data (tooltips)
        explorer.export_button.click()
        text = (tmp_path / folder / "timeline-r5.html").read_text()
        if redact:
            assert secret not in text
            assert "\\u003cemail:" in text  # the placeholder, script-safe escaped
            assert "Redacted:" in text
        else:
            assert secret in text
            assert "NOT REDACTED" in text and "NOT redacted" in explorer.export_status.value
