"""Declared outcomes (issue 14 item 4): the verdict rules of forensics.outcome, and each loader
that finds the run's own verdict writing it under ``@outcome`` on the root span. Fixtures are
written in each format's documented shape; the expectations are read off them by hand."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import polars as pl
import pytest
from realdata import shared_file

import forensics
from forensics.outcome import (
    declared_outcomes,
    outcome_attribute,
    record_outcome,
    reward_outcome,
    scores_outcome,
    word_verdict,
)


def _roots(path: Path | str) -> dict[str, dict]:
    """{run_id: root attributes} (a run with several roots: the last one)."""
    result = forensics.load(path)
    assert result.report.balanced
    return {r["run_id"]: json.loads(r["attributes"] or "{}") for r in result.spans.to_pylist() if r["parent_id"] is None}


def _write(tmp_path: Path, name: str, value: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return path


# --- the rules ------------------------------------------------------------------------------------


def test_outcome_attribute_shape_and_bad_verdict() -> None:
    assert outcome_attribute("failure", 0.0, "reward", 0) == {"verdict": "failure", "score": 0.0, "field": "reward", "value": 0}
    with pytest.raises(ValueError, match="verdict must be one of"):
        outcome_attribute("passed", None, "x", 1)


def test_reward_is_success_only_at_one() -> None:
    assert reward_outcome(1.0)["verdict"] == "success"  # type: ignore[index]
    assert reward_outcome(0.9999995)["verdict"] == "success"  # type: ignore[index]  # tau-bench's 1e-6 band
    assert reward_outcome(0.5) == {"verdict": "failure", "score": 0.5, "field": "reward", "value": 0.5}
    assert reward_outcome(3.0)["verdict"] == "unknown"  # type: ignore[index]  # not a [0, 1] reward
    assert reward_outcome("1.0") is None and reward_outcome(True) is None and reward_outcome(float("nan")) is None


def test_words_and_booleans() -> None:
    assert [word_verdict(v) for v in (True, False, 1, 0, "yes", "No", "max_steps_error", "PASSED", "partial", 0.7)] == [
        "success", "failure", "success", "failure", "success", "failure", "failure", "success", "unknown", "unknown"]


def test_record_keys_in_order_and_answers_never_read() -> None:
    assert record_outcome({"is_success": False})["field"] == "is_success"  # type: ignore[index]
    assert record_outcome({"reward": 0.0, "success": True})["field"] == "reward"  # type: ignore[index]
    assert record_outcome({"state": "max_steps_error"})["verdict"] == "failure"  # type: ignore[index]
    # A status word that is not a verdict, and benchmark answers, are no outcome.
    assert record_outcome({"status": "completed"}) is None
    assert record_outcome({"ground_truth": "yes", "mistake_agent": "WebSurfer", "mistake_step": "3"}) is None
    assert record_outcome({"is_correct": "true"})["verdict"] == "success"  # type: ignore[index]


def test_scores_by_name_direction_unknown_for_other_names() -> None:
    assert scores_outcome("s", {"Correctness": 0}) == {"verdict": "failure", "score": 0.0, "field": "s.Correctness", "value": 0}
    assert scores_outcome("s", {"correctness": 0.5})["verdict"] == "unknown"  # type: ignore[index]
    # hallucination 1 means it hallucinated: a number with no known direction is no verdict
    assert scores_outcome("s", {"hallucination": 1, "toxicity": 0.8}) == {
        "verdict": "unknown", "score": None, "field": "s", "value": {"hallucination": 1, "toxicity": 0.8}}
    assert scores_outcome("s", {}) is None


def test_declared_outcomes_one_row_per_run_failure_wins() -> None:
    def attrs(o: dict | None) -> str | None:
        return json.dumps({"@outcome": o}) if o else None

    spans = pl.DataFrame({
        "run_id": ["a", "a", "b", "b", "c", "d"],
        "parent_id": [None, "x", None, None, None, "x"],
        "attributes": [attrs(outcome_attribute("success", 1.0, "reward", 1.0)),
                       attrs(outcome_attribute("failure", 0.0, "reward", 0.0)),  # not a root: ignored
                       attrs(outcome_attribute("success", None, "agent_state", "finished")),
                       attrs(outcome_attribute("failure", None, "error", "boom")),
                       '{"other": 1}', None],
    })
    got = declared_outcomes(spans).to_dicts()
    assert got == [{"run_id": "a", "declared_outcome": "success", "declared_score": 1.0},
                   {"run_id": "b", "declared_outcome": "failure", "declared_score": None},
                   {"run_id": "c", "declared_outcome": "unknown", "declared_score": None},
                   {"run_id": "d", "declared_outcome": "unknown", "declared_score": None}]
    assert declared_outcomes(spans.clear()).columns == ["run_id", "declared_outcome", "declared_score"]


# --- the loaders ----------------------------------------------------------------------------------


def test_langfuse_real_scores_are_kept_with_an_unknown_verdict() -> None:
    # Read by hand: trace.scores = toxicity 0.8 and hallucination 0 (NUMERIC, trace-level, source EVAL).
    roots = _roots(shared_file("langfuse/langfuse_openai-agents-2025-09-30.trace.json"))
    assert roots["fee618f96dc31e0ca38b2f7b26eb8b29"]["@outcome"] == {
        "verdict": "unknown", "score": None, "field": "scores", "value": {"toxicity": 0.8, "hallucination": 0}}


def test_langfuse_trace_without_scores_has_no_outcome() -> None:
    roots = _roots(shared_file("langfuse/langfuse_autogen-2025-06-06.trace.json"))  # scores: []
    assert all("@outcome" not in a for a in roots.values())


def test_langfuse_boolean_correctness_score(tmp_path: Path) -> None:
    trace = {"trace": {"id": "t1", "timestamp": "2025-01-01T00:00:00.000Z", "name": "qa", "scores": [
        {"name": "correctness", "value": 0, "stringValue": "False", "dataType": "BOOLEAN", "observationId": None},
        {"name": "correctness", "value": 1, "dataType": "BOOLEAN", "observationId": "o1"},  # an observation's: not the run's
    ]}, "observations": [{"id": "o1", "traceId": "t1", "type": "SPAN", "name": "step",
                          "startTime": "2025-01-01T00:00:00.000Z", "endTime": "2025-01-01T00:00:01.000Z"}]}
    roots = _roots(_write(tmp_path, "t.json", trace))
    assert roots[next(iter(roots))]["@outcome"] == {"verdict": "failure", "score": 0.0, "field": "scores.correctness",
                                                    "value": False}


def _langsmith_run(run_id: str, parent: str | None, feedback: object) -> dict:
    return {"id": run_id, "trace_id": "11111111-1111-4111-8111-111111111111", "parent_run_id": parent,
            "name": "agent", "run_type": "chain", "start_time": "2024-04-29T00:49:12.090000",
            "end_time": "2024-04-29T00:49:13.090000", "status": "success", "feedback_stats": feedback}


def test_langsmith_root_feedback_stats(tmp_path: Path) -> None:
    root = "11111111-1111-4111-8111-111111111111"
    runs = [_langsmith_run(root, None, {"correctness": {"n": 2, "avg": 1.0}, "helpfulness": {"n": 1, "avg": 0.2}}),
            _langsmith_run("22222222-2222-4222-8222-222222222222", root, {"correctness": {"n": 1, "avg": 0.0}})]
    roots = _roots(_write(tmp_path, "runs.json", runs))
    assert list(roots) == [root]  # the child's feedback is not the run's verdict
    assert roots[root]["@outcome"] == {"verdict": "success", "score": 1.0, "field": "feedback_stats.correctness",
                                       "value": 1.0}


def test_langsmith_real_files_carry_no_outcome() -> None:
    # The docs' run has feedback_stats but a parent (not a root); the webhook's run has feedback_stats null.
    for name in ("langsmith-docs_run_data_format_example.json", "langsmith-docs_webhook_payload_example.json"):
        assert all("@outcome" not in a for a in _roots(shared_file(f"langsmith/{name}")).values())


def test_mlflow_assessments_then_state(tmp_path: Path) -> None:
    def trace(n: int, state: str, assessments: list) -> dict:
        span_trace = base64.b64encode(n.to_bytes(16, "big")).decode()  # MLflow v3: base64 ids on the spans
        return {"info": {"trace_id": f"tr-{n:032x}", "state": state, "request_time": "2025-01-01T00:00:00Z",
                         "assessments": assessments},
                "data": {"spans": [{"trace_id": span_trace, "span_id": "AAAAAAAAAAE=", "parent_span_id": None,
                                    "name": "agent", "start_time_unix_nano": 1, "end_time_unix_nano": 2,
                                    "status": {"code": "STATUS_CODE_OK"}, "attributes": {"mlflow.spanType": '"AGENT"'}}]}}
    graded = [{"assessment_name": "expected_response", "expectation": {"value": "Paris"}},  # an answer: never read
              {"assessment_name": "correctness", "feedback": {"value": "no"}, "valid": True},
              {"assessment_name": "correctness", "feedback": {"value": "yes"}, "valid": False}]  # overridden
    lines = [trace(1, "OK", graded), trace(2, "ERROR", []), trace(3, "OK", [])]
    path = tmp_path / "traces.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    result = forensics.load(path, format="mlflow")
    outcomes = [json.loads(r["attributes"]).get("@outcome") for r in result.spans.to_pylist() if r["parent_id"] is None]
    assert outcomes == [{"verdict": "failure", "score": 0.0, "field": "assessments.correctness", "value": "no"},
                        {"verdict": "failure", "score": None, "field": "state", "value": "ERROR"},
                        None]  # OK says the code did not raise, not that the task succeeded


def _oh(i: int, source: str, **kw: object) -> dict:
    return {"id": i, "timestamp": f"2025-01-27T22:44:5{i}.000000", "source": source, "message": "", **kw}


def test_openhands_final_agent_state(tmp_path: Path) -> None:
    events = [_oh(0, "user", action="message", args={"content": "fix the bug"}),
              _oh(1, "agent", action="run", args={"command": "pytest"}),
              _oh(2, "agent", observation="run", cause=1, content="1 failed", extras={"metadata": {"exit_code": 1}}),
              _oh(3, "environment", observation="agent_state_changed", content="", extras={"agent_state": "finished"}),
              _oh(4, "environment", observation="agent_state_changed", content="", extras={"agent_state": "error",
                                                                                           "reason": "stuck in a loop"})]
    result = forensics.load(_write(tmp_path, "traj.json", events))
    roots = [json.loads(r["attributes"]) for r in result.spans.to_pylist() if r["parent_id"] is None]
    # The one root is the run span the cause-less events hang under; it carries the last state.
    assert len(roots) == 1
    assert {json.dumps(a["@outcome"]) for a in roots} == {json.dumps(
        {"verdict": "failure", "score": None, "field": "agent_state", "value": "error"})}
    assert (result.report.files[0].rows, result.report.files[0].merged) == (5, 1)


def test_openhands_real_trajectory_ends_with_finish(tmp_path: Path) -> None:
    # Read by hand: events 0 (user message), 3 (edit), 4 (its observation), 5 (agent `finish`, args a
    # repr string: no task_completed readable). The agent finishing is its own claim of success.
    roots = _roots(shared_file("jsonl_app_logs/openhands_trajs_basic.json"))
    assert [a["@outcome"] for a in roots.values()] == [{"verdict": "success", "score": None, "field": "action",
                                                        "value": "finish"}]


def test_openhands_eval_lines(tmp_path: Path) -> None:
    history = [_oh(0, "user", action="message", args={"content": "go"}),
               _oh(1, "agent", action="finish", args={"task_completed": "false", "final_thought": "could not"})]
    lines = [{"instance_id": "a", "history": history, "error": None, "test_result": {"report": {"resolved": True}}},
             {"instance_id": "b", "history": history, "error": "RuntimeError: sandbox died"},
             {"instance_id": "c", "history": history}]
    path = tmp_path / "output.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    result = forensics.load(path)
    got = {r["run_id"]: json.loads(r["attributes"])["@outcome"] for r in result.spans.to_pylist()
           if r["parent_id"] is None and r["span_id"] == "run"}
    assert got == {"a": {"verdict": "success", "score": None, "field": "test_result.report.resolved", "value": True},
                   "b": {"verdict": "failure", "score": None, "field": "error", "value": "RuntimeError: sandbox died"},
                   "c": {"verdict": "failure", "score": None, "field": "finish.task_completed", "value": "false"}}


def test_any_agent_real_traces_have_none_and_a_saved_state_is_read(tmp_path: Path) -> None:
    real = shared_file("multiagent_frameworks/any-agent_SMOLAGENTS_trace.json")
    assert all("@outcome" not in a for a in _roots(real).values())  # {spans, final_output}: no verdict
    doc = json.loads(real.read_text())
    doc["state"] = "max_steps_error"  # smolagents RunResult.state saved beside the spans
    roots = _roots(_write(tmp_path, "trace.json", doc))
    assert [a["@outcome"] for a in roots.values()] == [{"verdict": "failure", "score": None, "field": "state",
                                                        "value": "max_steps_error"}]
