"""Google ADK's session id on its call_llm span fills session_id where gen_ai.conversation.id is absent.

ADK's ``trace_call_llm`` sets ``gcp.vertex.agent.session_id`` (``invocation_context.session.id``) on the
``call_llm`` span, beside ``gcp.vertex.agent.invocation_id`` and ``gen_ai.system`` ``gcp.vertex.agent``;
``trace_agent_invocation`` sets the same id as ``gen_ai.conversation.id`` on the ``invoke_agent`` span
(google/adk-python src/google/adk/telemetry/tracing.py). A trace without that agent span (a release
before it, or an exporter that dropped it) had no session, so two of the user's runs were not one session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sdk_spans import sdk_span

import forensics


def _call_llm(i: int, trace: str, session: str, parent: int | None, **extra: Any) -> dict[str, Any]:
    return sdk_span(i, "call_llm", {"gen_ai.system": "gcp.vertex.agent", "gen_ai.request.model": "gemini-2.0-flash",
                                    "gcp.vertex.agent.invocation_id": f"e-{trace[:4]}", "gcp.vertex.agent.session_id": session,
                                    "gcp.vertex.agent.event_id": f"ev-{i}", **extra}, parent, trace=trace)


def _load(tmp_path: Path, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    return forensics.load(path, format="otel-sdk-json").spans.to_pylist()


def test_the_call_llm_session_id_is_the_runs_session(tmp_path: Path) -> None:
    spans = [sdk_span(0, "invocation", {}, None, trace="a" * 32), _call_llm(1, "a" * 32, "s-42", 0),
             sdk_span(0, "invocation", {}, None, trace="b" * 32), _call_llm(1, "b" * 32, "s-42", 0)]
    rows = _load(tmp_path, spans)
    assert [r["session_id"] for r in rows] == ["s-42"] * 4  # the run's other spans take it (finalize)
    assert all("gcp.vertex.agent.session_id" not in (r["attributes"] or "") for r in rows)


def test_near_miss_the_agent_spans_conversation_id_wins(tmp_path: Path) -> None:
    spans = [sdk_span(0, "invoke_agent planner", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner",
                                                  "gen_ai.conversation.id": "conv-1"}, None),
             _call_llm(1, "cd" * 16, "other", 0, **{"gen_ai.conversation.id": "conv-1"})]
    rows = _load(tmp_path, spans)
    assert [r["session_id"] for r in rows] == ["conv-1", "conv-1"]
    assert '"gcp.vertex.agent.session_id":"other"' in rows[1]["attributes"]  # kept as a leftover, not lost
