"""Chart builders, checked on their Vega-Lite specs; exports checked as files."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from chart_tables import POLICY, finding, findings_table, incident, run, runs_table, span, spans_table

from forensics.charts import (
    class_agent_heatmap,
    class_tool_heatmap,
    class_trend_chart,
    save_chart,
    session_chart,
    timeline_chart,
    top_detectors_chart,
)
from forensics.errors import InputError
from forensics.schema import KINDS


def layers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Layers keyed by a name for what they draw (mark type, bars split into spans/evidence)."""
    out: dict[str, dict[str, Any]] = {}
    for layer in spec["layer"]:
        mark = layer["mark"]["type"]
        if mark == "bar":
            mark = "evidence" if "stroke" in layer["encoding"] and "field" in layer["encoding"]["stroke"] else "spans"
        if mark == "point" and layer["encoding"].get("color", {}).get("field") == "entry":
            mark = "key"
        out[mark] = layer
    return out


def values(layer: dict[str, Any]) -> list[dict[str, Any]]:
    """A layer's inline rows (altair puts them in the top-level ``datasets`` under a content-hash
    name, so the name finds them in whichever spec ``to_spec`` built)."""
    data = layer.get("data") or next(  # layers drawing the same rows share the top level's data
        spec["data"] for spec in SPECS if spec is layer or any(part is layer for part in spec.get("layer", [])))
    if "values" in data:
        return data["values"]
    return next(spec["datasets"][data["name"]] for spec in SPECS if data["name"] in spec.get("datasets", {}))


SPECS: list[dict[str, Any]] = []


def to_spec(chart: Any) -> dict[str, Any]:
    spec = chart.to_dict()
    assert spec["datasets"], "data is inline in the spec"
    SPECS.append(spec)
    return spec


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    spans, found = incident()
    return to_spec(timeline_chart(spans, "run-1", found, stall_seconds=60))


def test_one_lane_per_agent_plus_the_handoff_target_that_never_started(spec: dict[str, Any]) -> None:
    bars = layers(spec)["spans"]
    assert bars["encoding"]["y"]["scale"]["domain"] == ["planner", "billing", "shipping"]
    assert {r["lane"] for r in values(bars)} == {"planner", "billing"}
    # tools and model calls sit on their own sub-rows inside the lane
    assert bars["encoding"]["yOffset"]["field"] == "track"
    assert {(r["span_id"], r["track"]) for r in values(bars)} >= {("l1", "model"), ("t1", "tool"), ("a1", "agent")}


def test_every_kind_of_mark_is_drawn(spec: dict[str, Any]) -> None:
    assert set(layers(spec)) == {"rect", "spans", "evidence", "text", "key", "rule", "point"}


def test_fill_encodes_kind(spec: dict[str, Any]) -> None:
    fill = layers(spec)["spans"]["encoding"]["fill"]
    assert fill["field"] == "kind"
    assert fill["scale"]["domain"] == ["agent", "llm", "tool", "handoff"]
    assert set(fill["scale"]["domain"]) <= set(KINDS)
    assert "#d62728" not in fill["scale"]["range"], "red is reserved for errors"


def test_error_span_is_outlined_red_and_marked(spec: dict[str, Any]) -> None:
    bars = layers(spec)["spans"]
    assert bars["encoding"]["stroke"]["condition"][0] == {"test": "datum.status === 'error'", "value": "#d62728"}
    t1 = next(r for r in values(bars) if r["span_id"] == "t1")
    assert t1["status"] == "error" and t1["err"] == "HTTP 503: service unavailable"
    errors = [r for r in values(layers(spec)["point"]) if r["marker"] == "error"]
    assert [(r["lane"], r["x"]) for r in errors] == [("billing", 8.0)]


def test_evidence_spans_carry_the_explanation_in_the_tooltip(spec: dict[str, Any]) -> None:
    evidence = layers(spec)["evidence"]
    assert "explanation" in [t["field"] for t in evidence["encoding"]["tooltip"]]
    by_span = {r["span_id"]: r for r in values(evidence)}
    assert set(by_span) == {"t1", "h2"}
    assert by_span["t1"]["explanation"].startswith("tool refund failed with HTTP 503")
    assert by_span["h2"]["label"] == "F2 ownership_gap · dangling_handoff"
    # one legend entry per finding
    assert evidence["encoding"]["stroke"]["scale"]["domain"] == [
        "F1 missing_fallback · unhandled_error", "F2 ownership_gap · dangling_handoff"]  # fmt: skip


def test_one_connector_per_handoff_and_the_dropped_one_is_flagged(spec: dict[str, Any]) -> None:
    rules = values(layers(spec)["rule"])
    assert len(rules) == 2
    picked = {r["to_lane"]: r for r in rules}
    # h1 at 4 s is picked up by billing's first span at 5 s; h2 at 31 s never is
    assert (picked["billing"]["x"], picked["billing"]["x2"], picked["billing"]["picked"]) == (4.0, 5.0, True)
    assert (picked["shipping"]["x"], picked["shipping"]["x2"], picked["shipping"]["picked"]) == (31.0, 31.0, False)
    dangling = [r for r in values(layers(spec)["point"]) if r["marker"] == "handoff not picked up"]
    assert [r["lane"] for r in dangling] == ["shipping"]


def test_open_span_runs_to_the_end_of_the_chart(spec: dict[str, Any]) -> None:
    bars = layers(spec)["spans"]
    end = bars["encoding"]["x"]["scale"]["domain"][1]
    assert end > 700  # past the last event (planner's end at 700 s)
    t2 = next(r for r in values(bars) if r["span_id"] == "t2")
    assert t2["open"] is True and t2["x1"] == pytest.approx(end)
    never = [r for r in values(layers(spec)["point"]) if r["marker"] == "never ended"]
    assert [r["x"] for r in never] == [pytest.approx(end)]
    assert bars["encoding"]["strokeDash"]["condition"]["test"] == "datum.open"


def test_quiet_gap_longer_than_the_threshold_is_shaded(spec: dict[str, Any]) -> None:
    # events at ... 30, 31 (h2), then nothing until t2 starts at 650: one gap over 60 s
    stalls = values(layers(spec)["rect"])
    assert [(r["x0"], r["x1"]) for r in stalls] == [(31.0, 650.0)]
    assert stalls[0]["label"] == "quiet 10m 19s"


def test_title_names_the_run_by_its_root_span_and_subtitle_the_policy(spec: dict[str, Any]) -> None:
    # a1 "planner" is the earliest span whose parent is not in the run
    assert spec["title"]["text"] == "planner (run run-1)"
    assert spec["title"]["subtitle"][0] == "started 2026-11-20 02:13:00 UTC · 7 spans · 3 lanes · never ended · file inline.jsonl"
    assert f"policy {POLICY}" in spec["title"]["subtitle"]
    assert spec["usermeta"]["forensics"]["run_id"] == "run-1"


def test_bars_carry_their_names_where_they_fit(spec: dict[str, Any]) -> None:
    # 760 px over ~770 s: the 700 s planner span has room for its name; the refund tool span
    # (2 s, ~2 px) does not, so it gets a number and the key says which name it stands for.
    texts = values(layers(spec)["text"])
    by_text = {r["text"]: r for r in texts}
    assert by_text["planner"]["lane"] == "planner" and by_text["planner"]["color"] == "#ffffff"  # white on blue
    assert "refund" not in by_text  # too narrow for the name
    key = layers(spec)["key"]["encoding"]["color"]["scale"]["domain"]
    assert key == ["1  chat gpt-x", "2  transfer_to_billing", "3  refund", "4  transfer_to_shipping"]
    three = by_text["3"]
    assert (three["lane"], three["track"]) == ("billing", "tool")
    assert three["tx"] > 8.0  # right after the failed bar (it ends at 8 s), clear of its error cross
    assert layers(spec)["text"]["encoding"]["text"]["field"] == "text"


def test_a_named_tool_span_shows_its_tool_name_on_the_bar() -> None:
    rows = [span("r", "root", 0, 1.9, kind="agent", agent="refund_bot", name="refund_bot", input="Refund order 88120"),
            span("r", "t", 1.55, 1.85, kind="tool", agent="refund_bot", tool="stripe.refunds.create",
                 name="execute_tool stripe.refunds.create", parent_id="root")]  # fmt: skip
    spec = to_spec(timeline_chart(spans_table(rows), "r"))
    texts = {r["text"]: r for r in values(layers(spec)["text"])}
    # the tool's name, not the span's longer one, on the orange bar (about 120 px at 760 px wide)
    assert texts["stripe.refunds.create"]["lane"] == "refund_bot" and texts["stripe.refunds.create"]["track"] == "tool"
    assert texts["stripe.refunds.create"]["tx"] > 1.55
    assert "key" not in layers(spec)  # every name fits: no key
    assert spec["title"]["text"] == "refund_bot (run r)"
    assert "task: “Refund order 88120”" in spec["title"]["subtitle"]


def test_narrow_bars_get_a_number_and_the_key_names_it() -> None:
    # 20 short web.search calls and 20 short llm calls in a 200 s run: one number per name.
    rows = [span("k", "root", 0, 200, kind="agent", agent="researcher", name="researcher")]
    for i in range(20):
        rows += [span("k", f"w{i}", i * 10, i * 10 + 0.3, kind="retriever", agent="researcher", tool="web.search",
                      name="retrieve"),
                 span("k", f"l{i}", i * 10 + 1, i * 10 + 3, kind="llm", agent="researcher", name="ChatCompletion")]  # fmt: skip
    spec = to_spec(timeline_chart(spans_table(rows), "k"))
    key = layers(spec)["key"]
    assert key["encoding"]["color"]["scale"]["domain"] == ["1  web.search", "2  ChatCompletion"]
    assert key["encoding"]["color"]["legend"]["title"] == "span key (numbered bars)"
    numbers = [r["text"] for r in values(layers(spec)["text"]) if r["text"] in {"1", "2"}]
    assert numbers.count("1") == 20 and numbers.count("2") == 20
    assert "researcher" in {r["text"] for r in values(layers(spec)["text"])}


def test_subtitle_counts_agree_in_number() -> None:
    rows = [span("one", "s", 0, 1, kind="agent", agent="solo", name="solo")]
    subtitle = to_spec(timeline_chart(spans_table(rows), "one"))["title"]["subtitle"]
    assert subtitle[0].startswith("started 2026-11-20 02:13:00 UTC · 1 span · 1 lane · file inline.jsonl")


def big_run(n: int) -> tuple[Any, Any]:
    rows = [span("big", "root", 0, n, kind="agent", agent="worker", name="worker")]
    rows += [span("big", f"s{i}", i * 0.5, i * 0.5 + 0.1, kind="tool" if i % 2 else "llm", agent="worker",
                  tool="search" if i % 2 else None, name=f"step {i}") for i in range(n - 1)]  # fmt: skip
    rows[-7 if n > 7 else -1]["status"] = "error"
    found = findings_table([finding("big", "context_collapse", "repeated_action", ["s100", "s101"], "search repeated")])
    return spans_table(rows), found


def test_five_thousand_spans_collapse_into_fewer_bars_without_losing_any() -> None:
    spans, found = big_run(5000)
    spec = to_spec(timeline_chart(spans, "big", found))
    bars = values(layers(spec)["spans"])
    assert len(bars) < 5000
    assert sum(r["n"] for r in bars) == 5000
    assert any(r["n"] > 1 for r in bars)
    # what matters keeps its own bar: the evidence and the failed span
    kept = {r["span_id"] for r in bars if r["n"] == 1}
    assert {"s100", "s101", "s4992", "root"} <= kept
    assert any("short spans collapsed" in s for s in spec["title"]["subtitle"])
    # 5,000 distinct step names cannot all be shown; the chart says so rather than dropping them quietly
    assert any(s.endswith("span names not shown for lack of room: see the tooltips") for s in spec["title"]["subtitle"])


def test_small_runs_are_not_collapsed() -> None:
    spans, found = big_run(5)
    bars = values(layers(to_spec(timeline_chart(spans, "big", found)))["spans"])
    assert len(bars) == 5 and all(r["n"] == 1 for r in bars)


def test_polars_input_and_no_findings() -> None:
    spans, _ = incident()
    spec = to_spec(timeline_chart(pl.from_arrow(spans), "run-1"))
    assert "evidence" not in layers(spec)
    assert not any(s.startswith("policy") for s in spec["title"]["subtitle"])


def test_unknown_run_says_which_runs_exist() -> None:
    spans, _ = incident()
    with pytest.raises(InputError, match="run `nope` has no spans") as err:
        timeline_chart(spans, "nope")
    assert "`run-1`" in str(err.value)


def test_wrong_table_type_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="must be a pyarrow Table or a polars DataFrame"):
        timeline_chart([{"run_id": "x"}], "x")


# --- export -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chart() -> Any:
    spans, found = incident()
    return timeline_chart(spans, "run-1", found, stall_seconds=60)


def test_png_export(chart: Any, tmp_path: Any) -> None:
    path = save_chart(chart, tmp_path / "t.png", scale=1.0)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 760 and 150 <= height <= 1000


def test_svg_export_carries_title_run_and_policy(chart: Any, tmp_path: Any) -> None:
    path = save_chart(chart, tmp_path / "t.svg", title="Incident 42: refunds", redacted=True)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(t for t in root.itertext())
    assert "Incident 42: refunds" in text
    assert "run run-1" in text
    assert f"policy {POLICY}" in text
    assert "Redacted: secrets, e-mail, phone, card, ip (policy " in text  # redaction_banner


def test_html_export_contains_the_spec_and_needs_no_network(chart: Any, tmp_path: Any) -> None:
    html = save_chart(chart, tmp_path / "t.html", policy_version="custom 2").read_text()
    assert "planner (run run-1)" in html and "vega-lite" in html and "custom 2" in html
    assert "tool refund failed with HTTP 503" in html
    assert "cdn.jsdelivr.net/npm/vega@" not in html  # the bundle is inline


def test_unknown_suffix_names_the_valid_ones(chart: Any, tmp_path: Any) -> None:
    with pytest.raises(InputError, match=r"cannot export a chart to `\.pdf`") as err:
        save_chart(chart, tmp_path / "t.pdf")
    assert "`.png`, `.svg`, `.html`" in str(err.value)


def test_missing_folder_is_an_error(chart: Any, tmp_path: Any) -> None:
    with pytest.raises(InputError, match="does not exist"):
        save_chart(chart, tmp_path / "nope" / "t.png")


# --- session and fleet ----------------------------------------------------------------------


def test_session_chart_marks_restarts() -> None:
    rows = [span("r1", "a", 0, 60, kind="agent", agent="x", session_id="S", status="error"),
            span("r2", "b", 120, 130, kind="agent", agent="x", session_id="S"),
            span("r3", "c", 200, None, kind="agent", agent="x", session_id="S"),
            span("other", "d", 0, 1, kind="agent", agent="x", session_id="T")]  # fmt: skip
    runs = runs_table([run("r1", 0, 60, ["x"], ["context_collapse"])])
    spec = to_spec(session_chart(spans_table(rows), "S", runs))
    bars = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")
    got = {r["run_id"]: (r["row"], r["outcome"], r["restart"]) for r in values(bars)}
    assert got == {"r1": ("#1 r1", "context_collapse", False), "r2": ("#2 r2", "ok", True),
                   "r3": ("#3 r3", "never ended", True)}  # fmt: skip
    gaps = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rect")
    assert [r["run_id"] for r in values(gaps)] == ["r2", "r3"]
    assert spec["title"]["subtitle"] == ["3 runs · 2 restarts"]
    one = to_spec(session_chart(spans_table(rows[:2]), "S"))
    assert one["title"]["subtitle"] == ["2 runs · 1 restart"]


def fleet() -> tuple[Any, Any, Any]:
    spans, found = incident()
    runs = runs_table([run("run-1", 0, None, ["planner", "billing"], ["missing_fallback", "ownership_gap"]),
                       run("run-2", 30, 40, ["planner"], []), run("run-3", 90000, 90010, ["planner"], ["ownership_gap"])])  # fmt: skip
    return runs, found, spans


def test_class_trend_counts_runs_per_primary_class_per_day() -> None:
    runs, _, _ = fleet()
    spec = to_spec(class_trend_chart(runs))
    bars, totals = spec["layer"]
    got = sorted((r["period"][:10], r["label"], r["failure_class"], r["runs"]) for r in values(bars))
    assert got == [("2026-11-20", "Fri Nov 20", "missing_fallback", 1), ("2026-11-20", "Fri Nov 20", "ok", 1),
                   ("2026-11-21", "Sat Nov 21", "ownership_gap", 1)]  # fmt: skip
    assert sorted((r["label"], r["runs"]) for r in values(totals)) == [("Fri Nov 20", 2), ("Sat Nov 21", 1)]


def test_class_trend_has_one_band_per_day_integer_counts_and_headroom() -> None:
    # Runs on Nov 20 (3) and Nov 22 (1): the empty Nov 21 is a band of its own, not skipped,
    # and not a hairline on a 6-hour tick.
    runs = runs_table([run("a", 0, 1, ["x"], []), run("b", 60, 61, ["x"], ["silent_failure"]),
                       run("c", 120, 121, ["x"], []), run("d", 2 * 86400, 2 * 86400 + 1, ["x"], [])])  # fmt: skip
    bars = to_spec(class_trend_chart(runs))["layer"][0]
    x, y = bars["encoding"]["x"], bars["encoding"]["y"]
    assert x["type"] == "ordinal" and x["scale"]["domain"] == ["Fri Nov 20", "Sat Nov 21", "Sun Nov 22"]
    assert x["title"] == "day the run started (UTC)"
    assert y["axis"]["tickMinStep"] == 1 and y["axis"]["format"] == "d"
    assert y["scale"]["domain"] == [0, 4]  # the tallest day has 3 runs: one more for its total's label
    # hourly periods read as hours
    hourly = to_spec(class_trend_chart(runs, every="1h"))["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert hourly[:2] == ["Nov 20 02:00", "Nov 20 03:00"] and len(hourly) == 49
    # periods within one day: the times on the axis, the day once in its title
    same_day = to_spec(class_trend_chart(runs_table([run("a", 0, 1, ["x"], []), run("b", 3600, 3601, ["x"], [])]),
                                         every="15m"))["layer"][0]["encoding"]["x"]  # fmt: skip
    assert same_day["scale"]["domain"][:2] == ["02:00", "02:15"] and len(same_day["scale"]["domain"]) == 5
    assert same_day["title"] == "run start (UTC, Fri Nov 20, per 15m)"
    # 49 hourly bars leave no room for a total over each: no overlapping labels
    assert len(to_spec(class_trend_chart(runs, every="1h"))["layer"]) == 1


def test_class_trend_legend_lists_only_the_classes_drawn() -> None:
    runs, _, _ = fleet()
    color = to_spec(class_trend_chart(runs))["layer"][0]["encoding"]["color"]
    assert color["scale"]["domain"] == ["ownership_gap", "missing_fallback", "ok"]


def test_heatmaps_count_runs_by_the_evidence_spans_owner_and_tool() -> None:
    runs, found, spans = fleet()
    agents = values(to_spec(class_agent_heatmap(runs, found, spans)))  # both layers share the data
    assert sorted((r["failure_class"], r["agent"], r["runs"]) for r in agents) == [
        ("missing_fallback", "billing", 1), ("ownership_gap", "planner", 1)]  # fmt: skip
    tools = values(to_spec(class_tool_heatmap(runs, found, spans)))
    assert [(r["failure_class"], r["tool"], r["runs"]) for r in tools] == [("missing_fallback", "refund", 1)]
    # the count legend marks whole runs only (a gradient from 1 to 2 would also say 1.5, printed "2")
    heat = to_spec(class_agent_heatmap(runs, found, spans))["layer"][0]
    assert heat["encoding"]["color"]["legend"] == {"format": "d", "values": [1]}


def test_top_detectors() -> None:
    found = findings_table([finding("a", "silent_failure", "swallowed_error", [], "x"),
                            finding("b", "silent_failure", "swallowed_error", [], "x"),
                            finding("b", "missing_fallback", "stall", [], "x")])  # fmt: skip
    spec = to_spec(top_detectors_chart(found, top=1))
    bars = spec["layer"][0]
    assert values(bars) == [{"detector": "swallowed_error", "failure_class": "silent_failure", "severity": "high",
                             "runs": 2, "findings": 2}]  # fmt: skip
    assert spec["title"] == "Top 1 detectors (runs they fired on)"
    x = bars["encoding"]["x"]
    assert x["axis"]["tickMinStep"] == 1 and x["axis"]["format"] == "d"  # no half-run ticks
    # the legend lists the one class drawn, not every class
    assert bars["encoding"]["color"]["scale"]["domain"] == ["silent_failure"]


def test_top_detectors_ties_go_to_the_most_severe_not_the_alphabet() -> None:
    # Three detectors fired on two runs each; only two fit. `zz_irreversible` is critical and
    # sorts last alphabetically: it must be kept, and the medium `aa_fan_out` cut.
    rows = [finding(r, cls, det, [], "x", severity=sev)
            for det, cls, sev in (("aa_fan_out", "runaway_cost", "medium"), ("mm_stall", "missing_fallback", "high"),
                                  ("zz_irreversible", "unguarded_action", "critical"))
            for r in ("r1", "r2")]  # fmt: skip
    rows.append(finding("r3", "silent_failure", "swallowed_error", [], "x", severity="low"))
    rows += [finding(r, "silent_failure", "swallowed_error", [], "x", severity="low") for r in ("r4", "r5")]
    spec = to_spec(top_detectors_chart(findings_table(rows), top=3))
    got = [(r["detector"], r["runs"]) for r in values(spec["layer"][0])]
    assert got == [("swallowed_error", 3), ("zz_irreversible", 2), ("mm_stall", 2)]
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["swallowed_error", "zz_irreversible", "mm_stall"]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [
        "missing_fallback", "silent_failure", "unguarded_action"]  # fmt: skip


def test_many_handoffs_keep_only_the_dropped_ones_as_connectors() -> None:
    rows = [span("h", "a", 0, 300, kind="agent", agent="boss", name="boss")]
    for i in range(150):  # each handoff is picked up by a worker step half a second later
        rows += [span("h", f"x{i}", 1 + i, 1 + i, kind="handoff", agent="boss", handoff_to="worker"),
                 span("h", f"y{i}", 1.5 + i, 1.8 + i, kind="tool", agent="worker", tool="step")]  # fmt: skip
    rows += [span("h", "lost", 298, 298, kind="handoff", agent="boss", handoff_to="ghost")]
    spec = to_spec(timeline_chart(spans_table(rows), "h"))
    rules = values(layers(spec)["rule"])
    assert [(r["from_lane"], r["to_lane"], r["picked"]) for r in rules] == [("boss", "ghost", False)]
    assert "150 of 151 handoff connectors not drawn" in " ".join(spec["title"]["subtitle"])
    assert layers(spec)["spans"]["encoding"]["y"]["scale"]["domain"] == ["boss", "worker", "ghost"]


def test_fleet_charts_give_each_class_one_colour_and_ok_a_quiet_grey() -> None:
    from forensics.charts.fleet import CLASS_COLORS, class_trend_chart

    runs = pl.DataFrame({
        "run_id": ["a", "b"],
        "start_time": [datetime(2026, 11, 20, 1, tzinfo=UTC), datetime(2026, 11, 20, 2, tzinfo=UTC)],
        "primary_class": [None, "silent_failure"],
    })
    scale = class_trend_chart(runs).to_dict()["layer"][0]["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colours["ok"] == CLASS_COLORS["ok"] == "#c7c7c7"
    assert colours["silent_failure"] == "#e45756"
    assert len(set(scale["range"])) == len(scale["range"])


# Built in a fresh process each time: polars seeds group_by's hash anew per process, so row order
# that follows a group_by differed from run to run (the trend's totals, the heatmaps' tied counts).
_BUILD_FLEET_CHARTS = """
import json
from chart_tables import finding, findings_table, run, runs_table, span, spans_table
from forensics.charts import class_agent_heatmap, class_tool_heatmap, class_trend_chart
classes = ["missing_fallback", "ownership_gap", "silent_failure", "runaway_cost"]
runs = [run(f"r{i}", i * 20000, i * 20000 + 5, ["a"], [classes[i % 4]] if i % 3 else []) for i in range(60)]
spans = [span(f"r{i}", "s", i * 20000, i * 20000 + 1, agent=f"agent{i % 5}", tool=f"tool{i % 7}") for i in range(60)]
found = [finding(f"r{i}", classes[i % 4], "d", ["s"], "x") for i in range(60) if i % 3]
runs, spans, found = runs_table(runs), spans_table(spans), findings_table(found)
print(json.dumps([class_trend_chart(runs).to_dict(), class_agent_heatmap(runs, found, spans).to_dict(),
                  class_tool_heatmap(runs, found, spans).to_dict()], sort_keys=True))
"""


def test_fleet_charts_are_the_same_spec_in_two_fresh_processes() -> None:
    here = Path(__file__).parent
    built = []
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", _BUILD_FLEET_CHARTS], cwd=here, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(here)})
        assert done.returncode == 0, done.stderr
        built.append(done.stdout)
    assert built[0] == built[1]
    trend, agents, _ = json.loads(built[0])
    totals = next(rows for rows in trend["datasets"].values() if set(rows[0]) == {"label", "runs"})
    assert [r["label"] for r in totals][:3] == ["Fri Nov 20", "Sat Nov 21", "Sun Nov 22"]  # in period order
    (cells,) = agents["datasets"].values()
    keys = [(-r["runs"], r["failure_class"], r["agent"]) for r in cells]
    assert keys == sorted(keys) and len({k[0] for k in keys}) < len(keys)  # ties, in class then name order


def test_a_callers_chart_is_checked_against_the_schema_unless_told_not_to(tmp_path: Any) -> None:
    import altair as alt
    import jsonschema

    bad = alt.Chart(pl.DataFrame({"a": [1, 2]})).mark_point().encode(x=alt.X("a:Q"))
    bad["width"] = "wide"  # not a number, "container" or a step
    with pytest.raises(jsonschema.ValidationError):
        save_chart(bad, tmp_path / "checked.svg")
    assert not (tmp_path / "checked.svg").exists()
    # validate=False: the spec goes to vl-convert as it is (the report's own charts).
    save_chart(bad, tmp_path / "unchecked.svg", validate=False)
    assert (tmp_path / "unchecked.svg").read_text().lstrip().startswith("<svg")


_IMPORT_CHARTS = """
import sys
import forensics.charts
from jsonschema import Draft7Validator
built = "rfc3987_syntax.syntax_helpers" in sys.modules
checks = Draft7Validator.FORMAT_CHECKER
print(built, checks.conforms("http://example.com/\\u00e4", "iri"), checks.conforms("http://a b/<>", "iri"),
      "rfc3987_syntax.syntax_helpers" in sys.modules)
"""


def test_importing_the_charts_builds_no_iri_grammar_and_the_iri_check_still_answers(tmp_path: Any) -> None:
    # jsonschema's iri checker (rfc3987_syntax, a Lark grammar built on import: ~1.2 CPU s) is
    # imported on its first use only; the Vega-Lite schema never asks for it (forensics.charts._jsonschema).
    pytest.importorskip("rfc3987_syntax")
    import forensics

    tree = str(Path(forensics.__file__).parents[1])  # the forensics under test, whatever the cwd
    done = subprocess.run([sys.executable, "-c", _IMPORT_CHARTS], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": tree})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "False", "True"]
