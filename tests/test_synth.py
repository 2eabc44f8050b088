"""The traffic generator: deterministic, labels that match what was written, real injected shapes.

The output is read back with orjson as plain OpenTelemetry SDK JSON lines (not with our loaders), and
each injected failure is checked for the shape a reader of the raw file would see.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from label_leaks import assert_names_no_failure

from forensics.errors import InputError
from forensics.synth.generator import INJECTABLE, generate, labels_path_for, parse_mix
from forensics.synth.scenario import CLASSES, DETECTOR_CLASS
from forensics.synth.writers import WRITERS, _sdk_lines, _sdk_records

Span = dict[str, Any]


def _read_sdk(path: Path) -> dict[str, list[Span]]:
    runs: dict[str, list[Span]] = defaultdict(list)
    for line in path.read_bytes().splitlines():
        rec = orjson.loads(line)
        runs[rec["context"]["trace_id"][2:]].append(rec)
    return runs


def _labels(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def every_detector(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, list[Span]], list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("synth") / "night.otel.jsonl"
    labels = generate(400, out, mix={d: 0.03 for d in INJECTABLE}, seed=11)
    return _read_sdk(out), _labels(labels)


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes_different_seed_different_bytes(tmp_path: Path) -> None:
    # Same file name in three directories: the labels name the file they describe.
    a, b, c = tmp_path / "a" / "n.jsonl", tmp_path / "b" / "n.jsonl", tmp_path / "c" / "n.jsonl"
    generate(150, a, seed=4)
    generate(150, b, seed=4)
    generate(150, c, seed=5)
    assert a.read_bytes() == b.read_bytes()
    assert labels_path_for(a).read_bytes() == labels_path_for(b).read_bytes()
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("fmt", ["otel-sdk-json", "langsmith"])
def test_worker_processes_write_the_same_bytes(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import forensics.synth.generator as gen

    monkeypatch.setattr(gen, "CHUNK_RUNS", 40)  # the plan is cut in the parent: 150 runs, 4 chunks
    one, two = tmp_path / "1" / "n.json", tmp_path / "2" / "n.json"
    generate(150, one, format=fmt, seed=21)
    generate(150, two, format=fmt, seed=21, workers=2)
    assert one.read_bytes() == two.read_bytes()
    assert labels_path_for(one).read_bytes() == labels_path_for(two).read_bytes()
    assert len(_labels(labels_path_for(one))) == 150
    if fmt == "langsmith":
        assert len({r["trace_id"] for r in orjson.loads(one.read_bytes())}) == 150


def test_gzip_output_is_deterministic_and_holds_the_same_lines(tmp_path: Path) -> None:
    plain, gz1, gz2 = tmp_path / "p.jsonl", tmp_path / "g1" / "n.jsonl.gz", tmp_path / "g2" / "n.jsonl.gz"
    generate(80, plain, seed=9)
    generate(80, gz1, seed=9)
    generate(80, gz2, seed=9)
    assert gz1.read_bytes() == gz2.read_bytes()
    assert gz1.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(gz1.read_bytes()) == plain.read_bytes()


# --- labels match the runs -----------------------------------------------------------------------


def test_labels_match_the_runs_written(every_detector: tuple[dict[str, list[Span]], list[dict[str, Any]]]) -> None:
    runs, labels = every_detector
    assert len(labels) == 400 == len(runs)
    assert {row["run_id"] for row in labels} == set(runs)
    for row in labels:
        ids = {s["context"]["span_id"][2:] for s in runs[row["run_id"]]}
        if row["decisive_span_id"] is None:
            assert row["expected_detectors"] == []
        else:
            assert row["decisive_span_id"] in ids
        wanted = {DETECTOR_CLASS[d] for d in row["expected_detectors"]}
        assert row["expected_classes"] == [c for c in CLASSES if c in wanted]
        assert row["file"] == "night.otel.jsonl"


def test_about_thirty_spans_per_run(tmp_path: Path) -> None:
    out = tmp_path / "n.jsonl"
    generate(300, out, seed=2)
    runs = _read_sdk(out)
    mean = sum(len(v) for v in runs.values()) / len(runs)
    assert 25 <= mean <= 35, mean


def test_every_class_appears_when_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "classes.jsonl"
    labels = _labels(generate(60, out, mix={c: 0.1 for c in CLASSES}, seed=1))
    seen = {c for row in labels for c in row["expected_classes"]}
    assert seen == set(CLASSES)
    assert sum(1 for row in labels if not row["expected_classes"]) >= 15


def test_a_tiny_share_still_appears_once(tmp_path: Path) -> None:
    labels = _labels(generate(20, tmp_path / "t.jsonl", mix={"retry_storm": 0.001}, seed=3))
    assert sum(1 for row in labels if "retry_storm" in row["expected_detectors"]) == 1


def test_every_detector_appears_when_asked_for(
    every_detector: tuple[dict[str, list[Span]], list[dict[str, Any]]],
) -> None:
    _, labels = every_detector
    seen = {d for row in labels for d in row["expected_detectors"]}
    assert seen == set(INJECTABLE)


# --- injected shapes, read from the raw spans ----------------------------------------------------


def _a(span: Span, key: str) -> Any:
    return span["attributes"].get(key)


def _root(spans: list[Span]) -> Span:
    roots = [s for s in spans if s["parent_id"] is None]
    assert len(roots) == 1
    return roots[0]


def _by_id(spans: list[Span]) -> dict[str, Span]:
    return {s["context"]["span_id"][2:]: s for s in spans}


def _tool_calls(spans: list[Span], tool: str) -> list[Span]:
    return [s for s in spans if _a(s, "gen_ai.tool.name") == tool]


def _check_swallowed(spans: list[Span], d: Span, _: Any) -> None:
    # An error tool span (a 429) followed by an OK root: the error was never retried.
    assert d["status"]["status_code"] == "ERROR" and _a(d, "http.response.status_code") == 429
    assert _root(spans)["status"]["status_code"] == "OK"
    assert len(_tool_calls(spans, _a(d, "gen_ai.tool.name"))) == 1


def _check_unhandled(spans: list[Span], d: Span, _: Any) -> None:
    assert d["status"]["status_code"] == "ERROR"
    assert d["events"][0]["name"] == "exception"
    assert len(_tool_calls(spans, _a(d, "gen_ai.tool.name"))) == 1


def _check_repeated(spans: list[Span], d: Span, _: Any) -> None:
    calls = _tool_calls(spans, _a(d, "gen_ai.tool.name"))
    # The decisive span is the loop's first repeat: the second of the five calls.
    assert len(calls) == 5 and calls[1] is d
    assert len({_a(c, "gen_ai.tool.call.arguments") for c in calls}) == 1
    assert len({_a(c, "gen_ai.tool.call.result") for c in calls}) == 1
    assert all(c["status"]["status_code"] == "OK" for c in calls)


def _check_duplicate(spans: list[Span], d: Span, _: Any) -> None:
    calls = [c for c in _tool_calls(spans, _a(d, "gen_ai.tool.name")) if c["status"]["status_code"] == "OK"]
    assert len(calls) == 2 and calls[1] is d
    assert _a(calls[0], "gen_ai.tool.call.arguments") == _a(calls[1], "gen_ai.tool.call.arguments")


def _check_overflow(spans: list[Span], d: Span, _: Any) -> None:
    assert _a(d, "gen_ai.operation.name") == "chat" and _a(d, "error.type") == "context_length_exceeded"


def _check_dangling(spans: list[Span], d: Span, _: Any) -> None:
    tool = _a(d, "gen_ai.tool.name")
    assert tool.startswith("transfer_to_")
    target = tool.removeprefix("transfer_to_")
    assert not [s for s in spans if s["name"] == f"invoke_agent {target}"]


def _check_escalation(spans: list[Span], d: Span, _: Any) -> None:
    assert _a(d, "gen_ai.tool.name") == "escalate_to_human"
    assert not [s for s in spans if "acknowledged" in s["name"]]


def _check_limbo(spans: list[Span], d: Span, _: Any) -> None:
    _check_escalation(spans, d, _)
    assert _root(spans)["end_time"] is None
    assert max(spans, key=lambda s: s["start_time"]) is d


def _check_stall(spans: list[Span], d: Span, _: Any) -> None:
    assert _root(spans)["end_time"] is None
    assert d["end_time"] is None


def _check_orphan(spans: list[Span], d: Span, _: Any) -> None:
    assert d["status"]["status_code"] == "ERROR"
    ids = _by_id(spans)
    p = d["parent_id"]
    while p is not None:
        parent = ids[p[2:]]
        assert _a(parent, "gen_ai.operation.name") != "invoke_agent"
        p = parent["parent_id"]


def _check_retry_storm(spans: list[Span], d: Span, _: Any) -> None:
    calls = _tool_calls(spans, _a(d, "gen_ai.tool.name"))
    failed = [c for c in calls if c["status"]["status_code"] == "ERROR"]
    assert len(failed) == 6 and calls[0] is d and calls[-1]["status"]["status_code"] == "OK"
    starts = [c["start_time"] for c in calls]
    assert len(set(starts)) == len(starts)


def _check_low_confidence(spans: list[Span], d: Span, _: Any) -> None:
    # Decisive is the delivery that ran unreviewed; the span right before it reported low confidence.
    assert _a(d, "gen_ai.operation.name") == "execute_tool"
    assert _a(d, "gen_ai.tool.name") in {"email.send", "erp.create_invoice", "github.create_pull_request",
                                         "slack.post_message"}
    before = sorted((s for s in spans if s["start_time"] < d["start_time"]), key=lambda s: s["start_time"])
    out = orjson.loads(orjson.loads(_a(before[-1], "gen_ai.output.messages"))[0]["content"])
    assert out["confidence"] < 0.5


def _check_error_as_data(spans: list[Span], d: Span, _: Any) -> None:
    assert d["status"]["status_code"] == "OK"
    assert "error" in orjson.loads(_a(d, "gen_ai.tool.call.result"))


def _final(spans: list[Span]) -> str:
    return orjson.loads(_a(_root(spans), "gen_ai.output.messages"))[0]["content"]


def _check_claimed(spans: list[Span], d: Span, _: Any) -> None:
    assert _root(spans)["status"]["status_code"] == "OK"
    claim = _final(spans)
    assert claim and ("I've" in claim or "posted" in claim)
    delivery = {"email.send", "erp.create_invoice", "github.create_pull_request", "slack.post_message"}
    assert not [s for s in spans if _a(s, "gen_ai.tool.name") in delivery]


def _check_undelivered(spans: list[Span], d: Span, _: Any) -> None:
    assert _root(spans)["status"]["status_code"] == "OK" and _final(spans) == ""


def _check_premature(spans: list[Span], d: Span, _: Any) -> None:
    root = _root(spans)
    assert root["end_time"] is not None and root["status"]["status_code"] == "OK"
    assert d["end_time"] is None


def _check_budget(spans: list[Span], d: Span, _: Any) -> None:
    def used(s: Span) -> int:
        return (_a(s, "gen_ai.usage.input_tokens") or 0) + (_a(s, "gen_ai.usage.output_tokens") or 0)

    assert sum(used(s) for s in spans) > 200_000
    # Decisive: the span whose running total crosses the least budget the shipped policy applies
    # (no fixed budget: the fleet's, never below fleet_floor_tokens = 100k).
    before = sum(used(s) for s in spans if s["start_time"] < d["start_time"])
    assert before <= 100_000 < before + used(d)


def _check_fan_out(spans: list[Span], d: Span, _: Any) -> None:
    children: dict[str, int] = defaultdict(int)
    for s in spans:
        if _a(s, "gen_ai.operation.name") == "invoke_agent" and s["parent_id"]:
            children[s["parent_id"]] += 1
    assert max(children.values()) > 8


def _check_depth(spans: list[Span], d: Span, _: Any) -> None:
    ids = _by_id(spans)

    def agents_above(s: Span) -> list[str]:
        names, p = [], s["parent_id"]
        while p is not None:
            parent = ids[p[2:]]
            if _a(parent, "gen_ai.operation.name") == "invoke_agent":
                names.append(parent["name"])
            p = parent["parent_id"]
        return names

    agents = [s for s in spans if _a(s, "gen_ai.operation.name") == "invoke_agent"]
    assert max(len(agents_above(s)) + 1 for s in agents) > 5
    # Decisive: the agent that started an agent again inside that agent's own run (the loop closed).
    started = [s for s in agents if s["parent_id"] and s["parent_id"][2:] == d["context"]["span_id"][2:]]
    assert any(s["name"] in agents_above(s) for s in started)


def _check_unguarded(spans: list[Span], d: Span, _: Any) -> None:
    assert _a(d, "gen_ai.tool.name") in {
        "stripe.refunds.create", "payments.charge", "bank.pay_invoice", "deploy_production", "db.drop_table"
    }
    before = [s for s in spans if s["start_time"] < d["start_time"]]
    assert not [s for s in before if "approv" in s["name"] or "guardrail" in s["name"]]


def _check_redo(spans: list[Span], d: Span, session_runs: list[list[Span]]) -> None:
    args = (_a(d, "gen_ai.tool.name"), _a(d, "gen_ai.tool.call.arguments"))
    earlier = [r for r in session_runs if _root(r)["start_time"] < _root(spans)["start_time"]]
    assert len(earlier) == 1
    done = {(_a(s, "gen_ai.tool.name"), _a(s, "gen_ai.tool.call.arguments")) for s in earlier[0] if s["status"]["status_code"] == "OK"}
    assert args in done
    assert _root(earlier[0])["status"]["status_code"] == "ERROR"


SHAPES: dict[str, Callable[[list[Span], Span, Any], None]] = {
    "swallowed_error": _check_swallowed,
    "unhandled_error": _check_unhandled,
    "repeated_action": _check_repeated,
    "duplicate_side_effect": _check_duplicate,
    "context_overflow": _check_overflow,
    "dangling_handoff": _check_dangling,
    "unacknowledged_escalation": _check_escalation,
    "limbo": _check_limbo,
    "stall": _check_stall,
    "orphan_failure": _check_orphan,
    "retry_storm": _check_retry_storm,
    "ungated_low_confidence": _check_low_confidence,
    "error_as_data": _check_error_as_data,
    "claimed_but_not_done": _check_claimed,
    "undelivered_output": _check_undelivered,
    "premature_success": _check_premature,
    "budget_exceeded": _check_budget,
    "fan_out": _check_fan_out,
    "delegation_depth": _check_depth,
    "unguarded_irreversible": _check_unguarded,
    "redo_after_restart": _check_redo,
}


def test_a_shape_check_for_every_injectable_detector() -> None:
    assert set(SHAPES) == set(INJECTABLE)


@pytest.mark.parametrize("detector", sorted(SHAPES))
def test_injected_failures_have_their_real_shape(
    detector: str, every_detector: tuple[dict[str, list[Span]], list[dict[str, Any]]]
) -> None:
    runs, labels = every_detector
    sessions: dict[str, list[list[Span]]] = defaultdict(list)
    for spans in runs.values():
        sessions[_a(_root(spans), "gen_ai.conversation.id")].append(spans)
    # The decisive span of a limbo run is its escalation, of a redo run the first redone step: those
    # runs are checked under limbo and redo_after_restart, not under stall and duplicate_side_effect.
    other = {"stall": "limbo", "duplicate_side_effect": "redo_after_restart"}.get(detector)
    rows = [r for r in labels if detector in r["expected_detectors"] and other not in r["expected_detectors"]]
    assert rows, f"no run was injected with {detector}"
    for row in rows:
        spans = runs[row["run_id"]]
        decisive = _by_id(spans)[row["decisive_span_id"]]
        session = sessions[_a(_root(spans), "gen_ai.conversation.id")]
        SHAPES[detector](spans, decisive, session)


def test_clean_runs_end_ok_and_some_recovered(every_detector: tuple[dict[str, list[Span]], list[dict[str, Any]]]) -> None:
    runs, labels = every_detector
    clean = [r for r in labels if not r["expected_detectors"]]
    recovered = 0
    for row in clean:
        spans = runs[row["run_id"]]
        root = _root(spans)
        assert root["end_time"] is not None
        assert all(s["end_time"] is not None for s in spans)
        recovered += any(s["status"]["status_code"] == "ERROR" for s in spans)
    assert recovered >= 5


# --- every format, and nothing in the logs names a failure -----------------------------------------


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_parses_and_names_no_failure(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"g.{WRITERS[fmt].suffix}"
    labels = _labels(generate(120, out, format=fmt, mix={d: 0.04 for d in INJECTABLE}, seed=6))
    data = out.read_bytes()
    if WRITERS[fmt].container == "array":
        records = orjson.loads(data)
    else:
        records = [orjson.loads(line) for line in data.splitlines()]
    for rec in records:
        assert_names_no_failure(rec, fmt)
    text = data.decode()
    for row in labels:
        assert row["run_id"] in text
        if row["decisive_span_id"]:
            assert row["decisive_span_id"] in text


def test_the_fast_sdk_path_writes_exactly_the_documented_records() -> None:
    from forensics.synth.generator import _runs

    for built in _runs(200, parse_mix(None), 8):
        for run in built.runs:
            assert _sdk_lines(run) == b"".join(orjson.dumps(r) + b"\n" for r in _sdk_records(run))


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mix", "says"),
    [
        ({"bogus": 0.1}, "unknown failure class or detector `bogus`"),
        ({"stall": 0.7, "silent_failure": 0.6}, "adds up to 1.300"),
        ({"stall": -0.1}, "between 0 and 1"),
        ("stall", "has no `=share`"),
        ("stall=lots", "is not `name=share`"),
    ],
)
def test_a_bad_mix_says_what_is_wrong(mix: Any, says: str) -> None:
    with pytest.raises(InputError) as info:
        parse_mix(mix)
    assert says in str(info.value)
    assert "\nHint: " in str(info.value)


def test_a_mix_string_parses_classes_and_detectors() -> None:
    assert parse_mix("silent_failure=0.1, stall=0.02") == {"silent_failure": 0.1, "stall": 0.02}


def test_unknown_format_and_zero_runs_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no writer for format `parquet`"):
        generate(5, tmp_path / "x", format="parquet")
    with pytest.raises(InputError, match="n_runs is 0"):
        generate(0, tmp_path / "x")


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_generated_traffic_loads_with_sniffing_and_holds_every_labelled_span(fmt: str, tmp_path: Path) -> None:
    from forensics.load import load
    from forensics.loaders import registry
    from forensics.normalize import norm_id

    if fmt not in registry.names():
        pytest.skip(f"the `{fmt}` loader is not registered yet")
    out = tmp_path / f"g.{WRITERS[fmt].suffix}"
    labels = _labels(generate(90, out, format=fmt, mix={d: 0.03 for d in INJECTABLE}, seed=12))
    result = load(out)
    assert result.quarantine.num_rows == 0
    assert set(result.spans.column("source_format").to_pylist()) == {fmt}
    pairs = set(zip(result.spans.column("run_id").to_pylist(), result.spans.column("span_id").to_pylist(), strict=True))
    runs = {r for r, _ in pairs}
    assert {norm_id(row["run_id"]) for row in labels} <= runs
    for row in labels:
        if row["decisive_span_id"]:
            assert (norm_id(row["run_id"]), norm_id(row["decisive_span_id"])) in pairs


@pytest.mark.parametrize(
    "ns", [0, 1_544_712_660_123_456_789, 1_763_596_800_000_000_000, 1_763_683_199_999_999_999, 4_102_444_800_000_001_000]
)
def test_time_strings_match_datetime(ns: int) -> None:
    import datetime as dt

    from forensics.synth.model import dotted_stamp, iso_ms_z, iso_us_offset, iso_us_z
    from forensics.synth.writers import _iso_b

    d = dt.datetime.fromtimestamp(ns // 10**9, dt.UTC).replace(microsecond=(ns % 10**9) // 1000)
    assert iso_us_z(ns) == d.strftime("%Y-%m-%dT%H:%M:%S.%fZ") == _iso_b(ns).decode()
    assert iso_us_offset(ns) == d.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    assert iso_ms_z(ns) == d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert dotted_stamp(ns) == d.strftime("%Y%m%dT%H%M%S%fZ")


def test_the_synth_command_writes_the_same_bytes_as_the_function(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "cli" / "n.log.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "forensics.cli", "synth", "40", "--out", str(out), "--format", "jsonl",
         "--mix", "ownership_gap=0.2", "--seed", "8"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 40 runs" in done.stdout
    ref = tmp_path / "fn" / "n.log.jsonl"
    generate(40, ref, format="jsonl", mix="ownership_gap=0.2", seed=8)
    assert out.read_bytes() == ref.read_bytes()
    bad = subprocess.run(
        [sys.executable, "-m", "forensics.cli", "synth", "5", "--out", str(tmp_path / "x.jsonl"), "--mix", "oops=0.1"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert bad.returncode == 2
    assert "unknown failure class or detector `oops`" in bad.stderr and "Hint:" in bad.stderr


# --- each writer keeps its format's documented invariants (FIELDS.md) --------------------------------

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def _gen(fmt: str, tmp_path: Path) -> Any:
    out = tmp_path / f"w.{WRITERS[fmt].suffix}"
    generate(40, out, format=fmt, mix={d: 0.02 for d in INJECTABLE}, seed=17)
    data = out.read_bytes()
    if WRITERS[fmt].container == "array":
        return orjson.loads(data)
    return [orjson.loads(line) for line in data.splitlines()]


def test_otlp_writer_shape(tmp_path: Path) -> None:
    errors = 0
    for req in _gen("otlp-json", tmp_path):
        (rs,) = req["resourceSpans"]
        assert rs["resource"]["attributes"][0] == {"key": "service.name", "value": {"stringValue": rs["resource"]["attributes"][0]["value"]["stringValue"]}}
        for sp in rs["scopeSpans"][0]["spans"]:
            assert HEX32.match(sp["traceId"]) and HEX16.match(sp["spanId"])
            assert sp["startTimeUnixNano"].isdigit()
            assert sp["kind"] in (1, 2, 3)
            for kv in sp["attributes"]:
                (vtype,) = kv["value"]
                if vtype == "intValue":
                    assert isinstance(kv["value"]["intValue"], str)  # int64 as a decimal string (protojson)
            if sp["status"].get("code") == 2:
                errors += 1
                assert sp["events"][0]["name"] == "exception"
    assert errors > 0


def test_langsmith_writer_shape(tmp_path: Path) -> None:
    runs = _gen("langsmith", tmp_path)
    by_id = {r["id"]: r for r in runs}
    for r in runs:
        segments = r["dotted_order"].split(".")
        assert segments[-1].endswith(r["id"]) and len(segments) == len(r["parent_run_ids"]) + 1
        if r["parent_run_id"] is None:
            assert r["id"] == r["trace_id"] and r["is_root"]
        else:
            assert r["parent_run_id"] == r["parent_run_ids"][-1] and by_id[r["parent_run_id"]]["trace_id"] == r["trace_id"]
        assert r["status"] in ("success", "error", "pending")
        assert (r["status"] == "error") == (r["error"] is not None)
        assert (r["status"] == "pending") == (r["end_time"] is None)
        assert r["total_tokens"] == r["prompt_tokens"] + r["completion_tokens"]


def test_langfuse_writer_shape(tmp_path: Path) -> None:
    for item in _gen("langfuse", tmp_path):
        trace = item["trace"]
        assert HEX32.match(trace["id"]) and isinstance(trace["latency"], float | int)
        for obs in item["observations"]:
            assert obs["traceId"] == trace["id"]
            assert obs["type"] in {"AGENT", "GENERATION", "TOOL", "RETRIEVER", "GUARDRAIL", "SPAN"}
            assert isinstance(orjson.loads(obs["metadata"]), dict)
            if obs["level"] == "ERROR":
                assert obs["statusMessage"]
            if obs["type"] == "GENERATION" and obs["usageDetails"]:
                u = obs["usageDetails"]
                assert u["total"] == u["input"] + u["output"] == obs["totalUsage"]


def test_openinference_writer_shape(tmp_path: Path) -> None:
    for sp in _gen("openinference", tmp_path):
        a = sp["attributes"]
        assert sp["span_kind"] == a["openinference.span.kind"]
        assert sp["status_code"] in ("OK", "ERROR", "UNSET")
        assert sp["start_time"].endswith("+00:00")
        if sp["span_kind"] == "LLM" and "llm.token_count.completion" in a:
            assert a["llm.token_count.total"] == a["llm.token_count.prompt"] + a["llm.token_count.completion"]
        if sp["span_kind"] == "TOOL":
            assert a["tool.name"] == sp["name"]
        if sp["status_code"] == "ERROR":
            assert sp["events"][0]["name"] == "exception"


def test_jsonl_writer_shape(tmp_path: Path) -> None:
    for line in _gen("jsonl", tmp_path):
        assert line["level"] == ("ERROR" if line["status"] == "error" else "INFO")
        assert line["ts"].endswith("Z") and HEX32.match(line["run_id"]) and HEX16.match(line["span_id"])
        assert (line["duration_ms"] is None) == line["msg"].endswith(" started")


def test_sdk_lines_come_in_export_order(tmp_path: Path) -> None:
    # The SDK exports a span when it ends: children before their parent, never-ended spans last.
    runs: dict[str, list[Span]] = defaultdict(list)
    for rec in _gen("otel-sdk-json", tmp_path):
        runs[rec["context"]["trace_id"]].append(rec)
    for spans in runs.values():
        ended = [s for s in spans if s["end_time"] is not None]
        assert [s["end_time"] for s in ended] == sorted(s["end_time"] for s in ended)
        assert spans[: len(ended)] == ended
        root = _root(spans)
        if root["end_time"] is not None:
            assert ended[-1] is root


def test_every_injectable_detector_has_one_registered_injection_and_the_rest_are_known() -> None:
    from forensics.detectors import names as detector_names
    from forensics.synth.generator import RECOVERIES
    from forensics.synth.injectors import INJECTIONS, RECOVERY_SHAPES

    assert set(INJECTABLE) <= set(INJECTIONS.names())
    # Beyond the detectors: the failed first run of a redo pair, which no detector fires on alone.
    assert set(INJECTIONS.names()) - set(INJECTABLE) == {"redo_fail"}
    assert set(INJECTABLE) <= set(detector_names())
    assert RECOVERY_SHAPES.names() == list(RECOVERIES)
    with pytest.raises(InputError, match="no injection named `nope`"):
        INJECTIONS.get("nope")
