"""A tool's "no <thing>" error passed on in the answer was told, not read as data.

A weather tool (an MCP server called through Monocle's agentic.mcp.invocation span, OpenTelemetry
SDK ReadableSpan.to_json() shape) answers {"error": "no forecast available", ...} with status ok.
The answer "there is no forecast for that date yet" says the same absence: the run did not go on as
if the call had succeeded. Near miss: an answer that gives a forecast anyway read the error as data.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

TRACE = "5e0c3a9b1d2f4a6c8e0b2d4f6a8c0e1b"
ERR = json.dumps({"error": "no forecast available", "detail": "forecasts cover the next 7 days only"})


def _span(sid: str, parent: str | None, name: str, t: int, attrs: dict[str, object], events: list[dict[str, object]]) -> dict[str, object]:
    return {
        "name": name, "context": {"trace_id": f"0x{TRACE}", "span_id": f"0x{sid}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL", "parent_id": f"0x{parent}" if parent else None,
        "start_time": f"2026-02-01T10:00:{t:02d}.000000Z", "end_time": f"2026-02-01T10:00:{t + 1:02d}.000000Z",
        "status": {"status_code": "OK"}, "attributes": attrs, "events": events, "links": [],
        "resource": {"attributes": {"service.name": "concierge"}, "schema_url": ""},
    }


def _out(key: str, text: str, t: int) -> dict[str, object]:
    return {"name": "data.output", "timestamp": f"2026-02-01T10:00:{t:02d}.500000Z", "attributes": {key: text}}


def _detectors(tmp_path: Path, answer: str) -> list[str]:
    spans = [
        _span("a000000000000001", None, "workflow", 0, {"span.type": "workflow", "entity.1.name": "concierge"}, []),
        _span("a000000000000002", "a000000000000001", "langgraph.graph.state.CompiledStateGraph.ainvoke", 1,
              {"span.type": "agentic.invocation", "entity.1.name": "weather_agent"}, [_out("response", answer, 8)]),
        _span("a000000000000003", "a000000000000002", "mcp.shared.session.BaseSession.send_request", 3,
              {"span.type": "agentic.mcp.invocation", "entity.1.name": "get_weather"},
              [{"name": "data.input", "timestamp": "2026-02-01T10:00:03.100000Z",
                "attributes": {"input": [json.dumps({"city": "Porto", "date": "2026-05-20"})]}}, _out("output", ERR, 3)]),
        _span("a000000000000004", "a000000000000002", "langchain.chat_models.base.BaseChatModel.ainvoke", 5,
              {"span.type": "inference.framework", "span.subtype": "turn_end", "entity.2.name": "gpt-4o",
               "entity.2.type": "model.llm.gpt-4o"}, [_out("response", answer, 6)]),
    ]
    path = tmp_path / "spans.json"
    path.write_text(json.dumps(spans))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_the_errors_absence_said_again_in_the_answer_was_told(tmp_path: Path) -> None:
    answer = "There is no forecast for Porto on May 20 yet; the service covers a week ahead, so check again later."
    assert "error_as_data" not in _detectors(tmp_path, answer)


def test_an_answer_giving_a_forecast_anyway_read_the_error_as_data(tmp_path: Path) -> None:
    answer = "Porto on May 20: sunny, around 24 degrees."
    assert "error_as_data" in _detectors(tmp_path, answer)
