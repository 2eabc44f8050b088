"""classify(): inputs it accepts, the runs table, decisive-span choice, deterministic results."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from span_builder import concat, span, spans

from forensics.classify import Classification, classify
from forensics.errors import InputError
from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA


def _failing() -> pa.Table:
    return spans(
        span("root", 0, 10, kind="agent", name="triage", output="Answered.", session_id="s-1"),
        span(
            "l1",
            1,
            2,
            parent_id="root",
            kind="llm",
            model="gpt-4o",
            input_tokens=1000,
            output_tokens=50,
            cost_usd=0.01,
        ),
        span(
            "t1",
            3,
            parent_id="root",
            kind="tool",
            tool="crm.lookup",
            input='{"id": 1}',
            status="error",
            error_type="429",
        ),
        span("h1", 4, parent_id="root", kind="handoff", handoff_to="billing"),
        span("b1", 5, 8, parent_id="root", kind="agent", name="billing", output="ok"),
        span(
            "l2",
            6,
            7,
            parent_id="b1",
            kind="llm",
            model="gpt-4o",
            input_tokens=500,
            output_tokens=20,
            cost_usd=0.005,
        ),
        run_id="bad",
    )


def _clean() -> pa.Table:
    return spans(
        span("root", 0, 4, kind="agent", name="triage", output="Answered."),
        span(
            "t1",
            1,
            parent_id="root",
            kind="tool",
            tool="crm.lookup",
            input='{"id": 2}',
            output='{"name": "Bo"}',
        ),
        run_id="good",
    )


def test_results_are_arrow_tables_with_the_documented_schemas() -> None:
    c = classify(concat(_failing(), _clean()))
    assert isinstance(c, Classification)
    assert c.findings.schema == FINDING_SCHEMA
    assert c.runs.schema == RUN_SCHEMA
    findings, runs = c.to_polars()
    assert isinstance(findings, pl.DataFrame) and isinstance(runs, pl.DataFrame)
    fp, rp = c.to_pandas()
    assert len(fp) == c.findings.num_rows and len(rp) == 2


def test_runs_table_facts() -> None:
    c = classify(concat(_failing(), _clean()))
    runs = {r["run_id"]: r for r in c.runs.to_pylist()}
    bad, good = runs["bad"], runs["good"]
    assert bad["session_id"] == "s-1"
    assert bad["agents"] == ["triage", "billing"]  # order of first appearance
    assert bad["span_count"] == 6
    assert bad["error_count"] == 1
    assert bad["input_tokens"] == 1500 and bad["output_tokens"] == 70
    assert bad["cost_usd"] == pytest.approx(0.015)
    assert bad["duration_ms"] == 10_000.0
    assert bad["reported_outcome"] == "success"
    assert not bad["ok"]
    # The 429 nobody retried, under a success report: told once, as the silent failure it became.
    assert bad["classes"] == ["silent_failure"]
    assert bad["primary_class"] == "silent_failure"
    assert bad["decisive_span_id"] == "t1"
    assert (
        good["ok"]
        and good["classes"] == []
        and good["primary_class"] is None
        and good["decisive_span_id"] is None
    )
    assert good["input_tokens"] is None  # nothing recorded is not zero


def test_findings_carry_run_session_time_and_policy() -> None:
    c = classify(_failing())
    (sw,) = [f for f in c.findings.to_pylist() if f["detector"] == "swallowed_error"]
    assert sw["run_id"] == "bad"
    assert sw["session_id"] == "s-1"
    assert sw["decisive_time"].isoformat() == "2024-01-01T02:13:03+00:00"
    assert sw["policy_version"] == c.policy_version


def test_decisive_is_the_earliest_decisive_span_then_severity() -> None:
    table = spans(
        span("root", 0, 10, kind="agent", name="a", output="Done."),
        # 1 s: a failure nobody handled (high) that the run then hid (critical).
        span(
            "t1", 1, parent_id="root", kind="tool", tool="x.get", input="{}", status="error", error_type="500"
        ),
        # 0.5 s, earlier: an irreversible action with no approval (critical).
        span(
            "d1",
            0.5,
            parent_id="root",
            kind="tool",
            tool="db.drop_table",
            input='{"t": "a"}',
            output='{"ok": 1}',
        ),
    )
    runs = classify(table).runs.to_pylist()
    assert runs[0]["decisive_span_id"] == "d1"
    assert runs[0]["primary_class"] == "unguarded_action"


def test_results_do_not_depend_on_row_order() -> None:
    table = concat(_failing(), _clean())
    a = classify(table)
    shuffled = table.take(pa.array([5, 2, 7, 0, 3, 1, 6, 4]))
    b = classify(shuffled)
    assert a.findings.equals(b.findings)
    assert a.runs.equals(b.runs)


def test_accepts_polars_and_a_load_result_like_object() -> None:
    table = _failing()

    class LoadResultLike:
        spans = table

    ref = classify(table)
    assert classify(pl.DataFrame(pl.from_arrow(table))).findings.equals(ref.findings)
    assert classify(LoadResultLike()).findings.equals(ref.findings)


def test_only_the_named_detectors_run() -> None:
    c = classify(_failing(), detectors=["swallowed_error"])
    assert set(c.findings.column("detector").to_pylist()) == {"swallowed_error"}
    c = classify(_failing(), detectors=["dangling_handoff"])
    assert c.findings.num_rows == 0


def test_empty_table_gives_empty_results() -> None:
    c = classify(spans())
    assert c.findings.num_rows == 0 and c.runs.num_rows == 0
    assert c.findings.schema == FINDING_SCHEMA


def test_bad_input_says_what_is_missing() -> None:
    with pytest.raises(InputError, match="lacks column"):
        classify(pl.DataFrame({"run_id": ["r"], "span_id": ["s"]}))
    with pytest.raises(InputError, match="needs a span table"):
        classify([1, 2, 3])


def test_repr_is_readable() -> None:
    c = classify(concat(_failing(), _clean()))
    text = repr(c)
    assert text.startswith("<Classification: 2 runs, 1 failed, 1 ok;")
    assert "silent_failure=1" in text
    assert "<b>Classification</b>: 2 runs, 1 failed, 1 ok" in c._repr_html_()


def test_strength_and_decisive_agent_and_step_on_the_runs_table() -> None:
    c = classify(concat(_failing(), _clean()))
    runs = {r["run_id"]: r for r in c.runs.to_pylist()}
    bad, good = runs["bad"], runs["good"]
    # swallowed_error (an error status never retried) is strong evidence.
    assert {f["detector"]: f["strength"] for f in c.findings.to_pylist()}["swallowed_error"] == "strong"
    assert bad["strength"] == "strong"
    # The decisive span t1 is owned by triage (inherited from the root) and is the third span by
    # start time: root (0 s), l1 (1 s), t1 (3 s).
    assert (bad["decisive_agent"], bad["decisive_step"]) == ("triage", 2)
    assert (bad["declared_outcome"], bad["unexplained_failure"]) == ("unknown", False)
    assert good["strength"] is None and good["decisive_agent"] is None and good["decisive_step"] is None
    assert (good["declared_outcome"], good["unexplained_failure"]) == ("unknown", False)


def _declaring(verdict: str, *, on_root: bool = True, failing: bool = False, run_id: str = "r") -> pa.Table:
    outcome = json.dumps({"@outcome": {"verdict": verdict, "score": 0.0, "field": "reward", "value": 0}})
    tool: dict[str, Any] = {"status": "error", "error_type": "500"} if failing else {"output": '{"hits": 3}'}
    return spans(
        span("root", 0, 4, kind="agent", name="solver", output="Answered.",
             attributes=outcome if on_root else None),
        span("t1", 1, parent_id="root", kind="tool", tool="search.get", input='{"q": 1}',
             attributes=None if on_root else outcome, **tool),
        run_id=run_id,
    )  # fmt: skip


def test_a_declared_failure_with_no_finding_is_an_unexplained_failure() -> None:
    c = classify(
        concat(
            _declaring("failure", run_id="said-failed"),
            _declaring("success", run_id="said-ok"),
            _declaring("failure", on_root=False, run_id="child-said"),
            _declaring("failure", failing=True, run_id="explained"),
        )
    )
    runs = {r["run_id"]: r for r in c.runs.to_pylist()}
    assert (runs["said-failed"]["ok"], runs["said-failed"]["declared_outcome"]) == (True, "failure")
    assert runs["said-failed"]["unexplained_failure"] is True
    # Near misses: a run that declares success; an @outcome on a span that is not the root (the
    # contract puts the verdict on roots only); a declared failure a detector explains.
    assert (runs["said-ok"]["declared_outcome"], runs["said-ok"]["unexplained_failure"]) == ("success", False)
    assert (runs["child-said"]["declared_outcome"], runs["child-said"]["unexplained_failure"]) == ("unknown", False)
    assert runs["explained"]["declared_outcome"] == "failure" and not runs["explained"]["ok"]
    assert runs["explained"]["unexplained_failure"] is False


def test_a_run_whose_findings_are_all_weak_is_weak_and_a_finding_may_downgrade() -> None:
    from forensics.detectors.base import Context, Detector, finding

    class Slow(Detector):
        name = "test_slow_span"
        failure_class = "runaway_cost"
        scope = "run"
        severity = "low"
        description = "test only: any tool span; weak when its output is empty."

        def detect(self, ctx: Context) -> pl.LazyFrame:
            tools = ctx.spans.lazy().filter(pl.col("kind") == "tool")
            weak = pl.when(pl.col("output").is_null()).then(pl.lit("weak"))
            return tools.select(finding("run_id", pl.concat_list("span_id"), "span_id", pl.lit("slow"), weak))

    table = concat(_clean(), _declaring("success", failing=True, run_id="nulls"))
    c = classify(table, detectors=[Slow])
    by_run = {f["run_id"]: f["strength"] for f in c.findings.to_pylist()}
    assert by_run == {"good": "strong", "nulls": "weak"}  # the default, then a finding's own downgrade
    runs = {r["run_id"]: r["strength"] for r in c.runs.to_pylist()}
    assert runs == {"good": "strong", "nulls": "weak"}

    class Bad(Slow):
        name = "test_bad_strength"
        strength = "maybe"

    with pytest.raises(InputError, match="strength 'maybe'"):
        classify(table, detectors=[Bad])


def test_a_hint_is_shown_but_sets_no_class_and_the_policy_may_promote_it() -> None:
    import dataclasses

    from forensics.detectors.base import Context, Detector, finding
    from forensics.policy import load_policy

    class Hinted(Detector):
        name = "test_hint_span"
        failure_class = "unguarded_action"
        scope = "run"
        severity = "critical"
        strength = "hint"
        description = "test only: any tool span, a hint; strong when its output is empty."

        def detect(self, ctx: Context) -> pl.LazyFrame:
            tools = ctx.spans.lazy().filter(pl.col("kind") == "tool")
            strong = pl.when(pl.col("output").is_null()).then(pl.lit("strong"))
            return tools.select(finding("run_id", pl.concat_list("span_id"), "span_id", pl.lit("possible"), strong))

    table = concat(_clean(), _declaring("success", failing=True, run_id="nulls"))
    c = classify(table, detectors=[Hinted])
    assert {f["run_id"]: f["strength"] for f in c.findings.to_pylist()} == {"good": "hint", "nulls": "strong"}
    runs = {r["run_id"]: r for r in c.runs.to_pylist()}
    # The hint is in the findings and the runs table says so, but the run is ok with no class.
    assert (runs["good"]["ok"], runs["good"]["classes"], runs["good"]["primary_class"]) == (True, [], None)
    assert runs["good"]["strength"] == "hint" and runs["good"]["decisive_span_id"] is None
    assert (runs["nulls"]["ok"], runs["nulls"]["primary_class"], runs["nulls"]["strength"]) == (
        False,
        "unguarded_action",
        "strong",
    )
    # A team that wants this detector's hints counted promotes them to weak findings.
    pol = dataclasses.replace(load_policy(), promote_hints=("test_hint_span",))
    promoted = {r["run_id"]: r for r in classify(table, detectors=[Hinted], policy=pol).runs.to_pylist()}
    assert (promoted["good"]["ok"], promoted["good"]["strength"]) == (False, "weak")


def test_profile_times_every_stage_and_changes_no_result() -> None:
    from forensics.detectors.registry import names

    table = concat(_failing(), _clean())
    plain = classify(table)
    timed = classify(table, profile=True)
    assert timed.findings.equals(plain.findings) and timed.runs.equals(plain.runs)
    assert plain.timings == {} and plain.timing_report() == ""
    stages = timed.timings
    for stage in (
        "span table checked and cast",
        "prepare: text columns and convention signals",
        "prepare: run facts",
        "detectors",
        "findings table",
        "runs table",
        "attribution",
        "total",
    ):
        assert stage in stages, stage
    # Each detector and each convention step that ran has its own line, under its stage.
    assert {k.strip().removeprefix("detector ") for k in stages if k.startswith("  detector ")} == set(names())
    assert "  convention pauses (status)" in stages
    assert all(v >= 0 for v in stages.values())
    top = sum(v for k, v in stages.items() if not k.startswith(" ") and k != "total")
    assert stages["total"] == pytest.approx(top)
    assert timed.timing_report().startswith("classify stages (wall clock):\nspan table checked and cast")
    # Each stage's CPU seconds beside its wall clock (the work, on a machine other jobs share).
    cpu = timed.cpu_timings
    assert cpu.keys() == stages.keys() and all(v >= 0 for v in cpu.values())
    assert cpu["total"] == pytest.approx(sum(v for k, v in cpu.items() if not k.startswith(" ") and k != "total"))
    line = next(x for x in timed.timing_report().splitlines() if x.startswith("attribution"))
    assert line.endswith(f"CPU {cpu['attribution']:7.3f} s")
    assert plain.cpu_timings == {}


def test_forensics_profile_env_prints_the_report(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FORENSICS_PROFILE", "1")
    c = classify(_failing())
    err = capsys.readouterr().err
    assert "classify stages (wall clock):" in err and "attribution" in err and c.timings
    monkeypatch.setenv("FORENSICS_PROFILE", "0")
    assert classify(_failing()).timings == {}
    assert "classify stages" not in capsys.readouterr().err


def test_a_hand_built_frame_is_cast_to_the_span_types() -> None:
    table = _failing()
    ref = classify(table)
    df = pl.DataFrame(pl.from_arrow(table))
    # Narrower integers, times in microseconds and a categorical kind, as a hand-built frame may
    # have them: classify casts them to the span types (an exact cast here, so nothing changes).
    narrowed = df.with_columns(
        pl.col("input_tokens", "output_tokens", "source_line").cast(pl.Int32),
        pl.col("start_time", "end_time").cast(pl.Datetime("us", "UTC")),
        pl.col("kind").cast(pl.Categorical),
    )
    assert narrowed.schema["kind"] == pl.Categorical
    out = classify(narrowed)
    assert out.findings.equals(ref.findings)
    assert out.runs.equals(ref.runs)


def test_shared_intermediates_are_built_once_when_detectors_run_side_by_side() -> None:
    """classify runs the detectors on threads: detectors asking for the same cached intermediate
    at the same time wait for one build (Context.once), and all get that one frame."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from forensics.detectors.base import Context
    from forensics.policy import resolve_policy

    ctx = Context(spans=pl.DataFrame(), runs=pl.DataFrame(), policy=resolve_policy(None))
    builds: list[int] = []
    start = threading.Barrier(8)

    def make() -> pl.DataFrame:
        builds.append(1)
        time.sleep(0.05)  # long enough for every other thread to arrive while this one builds
        return pl.DataFrame({"n": [len(builds)]})

    def ask(_: int) -> pl.DataFrame:
        start.wait()
        return ctx.once("shared", make)

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(ask, range(8)))
    assert len(builds) == 1
    assert all(g is got[0] for g in got) and got[0]["n"].to_list() == [1]
    assert ctx.cached("shared", pl.DataFrame({"n": [99]}).lazy()) is got[0]
