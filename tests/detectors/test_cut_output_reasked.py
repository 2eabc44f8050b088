"""A cut output asked again and answered in full lost nothing: no context_overflow.

opentelemetry-instrumentation-openai-v2 records each chat call's gen_ai.response.finish_reasons and
token usage (ReadableSpan.to_json() shape below). An app that sees finish_reason "length" and asks
the same model the same prompt again with a larger max_tokens, getting "stop", caught the cut. Near
miss: the second answer cut too, or no second call: the output was cut.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

TRACE = "0x7d1e0a6c2b3f4e5d8c9b0a1f2e3d4c5b"


def _span(sid: str, parent: str | None, name: str, start: str, end: str, attrs: dict[str, object]) -> dict[str, object]:
    return {
        "name": name,
        "context": {"trace_id": TRACE, "span_id": f"0x{sid}", "trace_state": "[]"},
        "kind": "SpanKind.CLIENT" if parent else "SpanKind.INTERNAL",
        "parent_id": f"0x{parent}" if parent else None,
        "start_time": f"2025-06-01T09:00:{start}Z", "end_time": f"2025-06-01T09:00:{end}Z",
        "status": {"status_code": "UNSET"} if parent else {"status_code": "OK"},
        "attributes": attrs, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "summariser"}, "schema_url": ""},
    }


def _chat(sid: str, start: str, end: str, max_tokens: int, finish: str, out_tokens: int) -> dict[str, object]:
    return _span(sid, "a000000000000001", "chat gpt-4o-mini", start, end, {
        "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.max_tokens": max_tokens, "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.finish_reasons": [finish], "gen_ai.usage.input_tokens": 3000,
        "gen_ai.usage.output_tokens": out_tokens,
    })


def _detectors(tmp_path: Path, chats: list[dict[str, object]]) -> list[str]:
    root = _span("a000000000000001", None, "summarise_report", "00.000000", "30.000000", {"app.step": "summary"})
    path = tmp_path / "spans.json"
    path.write_text(json.dumps([root, *chats]))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_a_cut_answer_asked_again_and_finished_is_no_overflow(tmp_path: Path) -> None:
    chats = [_chat("b000000000000001", "01.000000", "09.000000", 512, "length", 512),
             _chat("b000000000000002", "10.000000", "20.000000", 4096, "stop", 900)]
    assert "context_overflow" not in _detectors(tmp_path, chats)


def test_a_cut_answer_not_asked_again_or_cut_again_is_an_overflow(tmp_path: Path) -> None:
    once = [_chat("b000000000000001", "01.000000", "09.000000", 512, "length", 512)]
    assert "context_overflow" in _detectors(tmp_path, once)
    twice = [*once, _chat("b000000000000002", "10.000000", "20.000000", 512, "length", 512)]
    assert "context_overflow" in _detectors(tmp_path, twice)
