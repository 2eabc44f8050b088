"""An OpenAI Agents SDK run traced by OpenInference and written by the OTel SDK's to_json().

Arize-ai/openinference python/instrumentation/openinference-instrumentation-openai-agents/src/
openinference/instrumentation/openai_agents/_processor.py: on_trace_start opens the trace's span (the
workflow name, kind AGENT, nothing else); on_span_start gives every SDK span its kind and llm.system
"openai", parented to its SDK parent or, for a span with none (each agent's span: the SDK starts the
next agent's span at the trace's top, src/agents/run.py), to the trace's span; a handoff span is TOOL,
named ``f"handoff to {to_agent}"``; an SDK error becomes the status description
``f"{error.get('message')}: {error.get('data')}"``. openai-agents-python src/agents/_run_impl.py
execute_handoffs: when one response asks for several handoffs only the first runs, the others are
answered "Multiple handoffs detected, ignoring this one." and the handoff span gets
SpanError("Multiple handoffs requested", data={"requested_agents": [...]}) after to_agent was set.
The OTel SDK's ReadableSpan.to_json() keeps no instrumentation scope.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

import forensics
from forensics.classify import classify

MULTIPLE = "Multiple handoffs requested: {'requested_agents': ['Flight Agent', \"Bob's Hotel Agent\"]}"


def _span(i: int, name: str, kind: str, parent: int | None, status: dict[str, str] | None = None,
          **attributes: Any) -> dict[str, Any]:
    attrs = {"openinference.span.kind": kind, **({"llm.system": "openai"} if parent is not None else {}), **attributes}
    return {
        "name": name, "context": {"trace_id": "0x" + "cd" * 16, "span_id": f"0x{i + 1:016x}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL", "parent_id": None if parent is None else f"0x{parent + 1:016x}",
        "start_time": f"2025-11-20T00:00:{10 + i:02d}.000000Z", "end_time": f"2025-11-20T00:00:{30 - i:02d}.000000Z",
        "status": status or {"status_code": "OK"}, "attributes": attrs, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "travel"}, "schema_url": ""},
    }


def _run(tmp_path: Path, handoff_status: dict[str, str], handoff_attrs: dict[str, Any] | None = None,
         answer: str = "Your flight BA117 to Lisbon is booked for 3 March.") -> pl.DataFrame:
    spans = [
        _span(0, "Agent workflow", "AGENT", None),
        _span(1, "Triage Agent", "AGENT", 0),
        _span(2, "response", "LLM", 1, **{"input.value": "Book me a flight and a hotel in Lisbon for 3 March",
                                          "output.value": '{"output": [{"type": "function_call"}]}'}),
        _span(3, "handoff to Flight Agent", "TOOL", 1, handoff_status, **(handoff_attrs or {})),
        _span(4, "Flight Agent", "AGENT", 0),
        _span(5, "book_flight", "TOOL", 4, **{"tool.name": "book_flight", "input.value": '{"to": "LIS"}',
                                               "output.value": "BA117 booked"}),
        _span(6, "response", "LLM", 4, **{"output.value": answer}),
    ]
    path = tmp_path / "agents_sdk.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    return pl.DataFrame(pl.from_arrow(forensics.load(path, format="otel-sdk-json").spans)).sort("start_time")


def _detectors(df: pl.DataFrame) -> set[str]:
    return set(pl.from_arrow(classify(df.to_arrow()).findings)["detector"].to_list())


def test_the_handoff_taken_is_no_failure_and_the_dropped_agent_is_judged(tmp_path: Path) -> None:
    # Firing: the trace's span is the run's container (not an agent), the TOOL span "handoff to Flight
    # Agent" is the handoff, its "Multiple handoffs requested" error records the dropped request (no
    # swallowed_error), and the dropped Hotel agent, never run, is a dangling handoff.
    df = _run(tmp_path, {"status_code": "ERROR", "description": MULTIPLE})
    assert df["kind"].to_list() == ["chain", "agent", "llm", "handoff", "agent", "tool", "llm"]
    handoff = df.row(3, named=True)
    assert (handoff["handoff_to"], handoff["tool"], handoff["status"]) == ("Flight Agent", None, "error")
    found = _detectors(df)
    assert "swallowed_error" not in found and "unhandled_error" not in found
    assert "dangling_handoff" in found


def test_a_single_handoff_and_a_tool_named_like_one_stay_as_they_are(tmp_path: Path) -> None:
    # Near-miss: one handoff, no error: a clean run; a tool span named "handoff to ..." that is a
    # function span (tool.name) is a tool.
    df = _run(tmp_path, {"status_code": "OK"})
    assert df["kind"][3] == "handoff"
    assert not _detectors(df) & {"dangling_handoff", "swallowed_error", "unhandled_error"}
    tool = _run(tmp_path, {"status_code": "OK"}, {"tool.name": "handoff to Flight Agent"})
    assert tool["kind"][3] == "tool"
