"""unacknowledged_escalation: a case routed to a queue whose own answer says nobody consumes it.

A ToolCallingAgent (huggingface/smolagents ``src/smolagents/agents.py``, one ``SimpleTool`` span per
tool call under ``Step N``: Arize-ai/openinference ``openinference-instrumentation-smolagents``
``_wrappers.py`` ``_ToolCallWrapper``) routes a sanctions near-match to a manual review queue. The
broker's answer says who listens: AMQP ``Queue.Declare-Ok`` carries ``message_count`` and
``consumer_count`` (pika ``pika/spec.py`` ``Queue.DeclareOk``); Amazon SQS measures
``ApproximateAgeOfOldestMessage`` in seconds. No consumer and a backlog older than the escalation SLA:
the case went to nobody. A consumer attached, or a backlog seconds old, is a queue being worked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import smol_span

from forensics.classify import classify
from forensics.load import load

_TRACE = "7a1c0000000000000000000000000001"
_ANSWER = "Your application needs a manual review by our compliance team. You'll hear back within 1 business day."


def _span(span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any], children: list[Any]) -> dict[str, Any]:
    return smol_span(_TRACE, span_id, parent, name, second, attrs, children, service="kyc")


def _call(n: int, second: int, name: str, kwargs: dict[str, Any], out: str) -> dict[str, Any]:
    """Step ``n`` (span b00..0n): its model call (d00..0n) asks for ``name``; the tool call (c00..0n) returns ``out``."""
    step_id, span_id = f"b00000000000000{n}", f"c00000000000000{n}"
    model = _span(f"d00000000000000{n}", step_id, "OpenAIServerModel.generate", second, {
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
        "output.value": json.dumps({"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": name, "arguments": json.dumps(kwargs)}, "id": f"call_{span_id}", "type": "function"}]}),
    }, [])  # fmt: skip
    tool = _span(span_id, step_id, "FinalAnswerTool" if name == "final_answer" else "SimpleTool", second, {
        "openinference.span.kind": "TOOL", "tool.name": name, "output.value": out,
        "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": kwargs}),
    }, [])  # fmt: skip
    return _span(step_id, "a000000000000001", f"Step {n}", second, {
        "openinference.span.kind": "CHAIN", "output.value": out}, [model, tool])  # fmt: skip


def _run(tmp_path: Path, queue_result: dict[str, Any]) -> pl.DataFrame:
    steps = [
        _call(1, 1, "run_kyc_checks", {"application_id": "7Q2K-99120"},
              json.dumps({"identity": "pass", "sanctions": "possible_match", "pep": "clear"})),
        _call(2, 3, "route_case",
              {"application_id": "7Q2K-99120", "queue": "kyc-manual-review", "note": "possible sanctions match 0.87"},
              json.dumps({"message_id": "a4d1c6b0-1f0e", "queue": "kyc-manual-review", "accepted": True, **queue_result})),
        _call(3, 5, "final_answer", {"answer": _ANSWER}, _ANSWER),
    ]  # fmt: skip
    root = _span("a000000000000001", "", "ToolCallingAgent.run", 0, {
        "openinference.span.kind": "AGENT", "smolagents.task": "Run KYC on application 7Q2K-99120; approve or send to manual review.",
        "output.value": _ANSWER}, steps)  # fmt: skip
    path = tmp_path / "kyc.json"
    path.write_text(json.dumps({"trace_id": _TRACE, "spans": [root]}))
    return load(path).to_polars()


def _findings(spans: pl.DataFrame) -> dict[str, str | None]:
    f = classify(spans).to_polars()[0]
    return dict(zip(f.get_column("detector").to_list(), f.get_column("decisive_span_id").to_list(), strict=True))


def test_a_case_routed_to_a_queue_nobody_consumes_is_unacknowledged(tmp_path: Path) -> None:
    found = _findings(_run(tmp_path, {"approximate_queue_depth": 1843, "oldest_message_age_seconds": 259611, "active_consumers": 0}))
    assert found == {"unacknowledged_escalation": "c000000000000002"}


def test_amqp_declare_ok_counts_read_the_same(tmp_path: Path) -> None:
    found = _findings(_run(tmp_path, {"message_count": 212, "consumer_count": 0, "ApproximateAgeOfOldestMessage": 7200}))
    assert found == {"unacknowledged_escalation": "c000000000000002"}


def test_near_miss_a_queue_with_consumers_is_being_worked(tmp_path: Path) -> None:
    assert _findings(_run(tmp_path, {"approximate_queue_depth": 14, "oldest_message_age_seconds": 259611, "active_consumers": 3})) == {}


def test_near_miss_no_consumer_but_a_fresh_backlog_is_a_consumer_restarting(tmp_path: Path) -> None:
    assert _findings(_run(tmp_path, {"approximate_queue_depth": 2, "oldest_message_age_seconds": 4, "active_consumers": 0})) == {}


def test_near_miss_a_result_that_names_no_consumers_is_not_judged(tmp_path: Path) -> None:
    assert _findings(_run(tmp_path, {"approximate_queue_depth": 1843, "oldest_message_age_seconds": 259611})) == {}
