"""Logfire's OpenAI Agents SDK spans: a tool call, an agent run, a handoff read from the message template.

``logfire.instrument_openai_agents()`` names each Agents SDK span by its message template and writes the
span data's fields as plain attributes, with no key naming a kind (pydantic/logfire
logfire/_internal/integrations/openai_agents.py). The spans below are those of Logfire's own
tests/otel_integrations/test_openai_agents.py ``test_responses`` snapshot (agent1 calls random_number,
then hands off to agent2), sent over OTLP as Langfuse's OpenAI Agents cookbook did: as OTLP/JSON one
request per line, and as the Langfuse export of them (observations of type SPAN, the OTel attributes
in ``metadata``, the shape of ../shared/formats/langfuse/langfuse_openai-agents-2025-09-30.trace.json).
They loaded as spans of unknown kind (a Langfuse SPAN: a chain) with no agent, tool or handoff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from otlp_trace import otlp_span

import forensics

_TRACE = "fee618f96dc31e0ca38b2f7b26eb8b29"
#: (span id, parent, span name, start ms, end ms, attributes): test_responses' spans, code.* left out.
_SPANS: list[tuple[str, str, str, int, int, dict[str, Any]]] = [
    ("0000000000000001", "", "OpenAI Agents trace: {name}", 0, 10_000,
     {"logfire.msg_template": "OpenAI Agents trace: {name}", "logfire.msg": "OpenAI Agents trace: Agent workflow",
      "logfire.span_type": "span", "name": "Agent workflow", "agent_trace_id": "trace_a1", "group_id": "null",
      "metadata": "null"}),
    ("0000000000000003", "0000000000000001", "Agent run: {name!r}", 2000, 9000,
     {"logfire.msg_template": "Agent run: {name!r}", "logfire.span_type": "span", "logfire.msg": "Agent run: 'agent1'",
      "name": "agent1", "handoffs": ["agent2"], "tools": ["random_number"], "gen_ai.system": "openai", "output_type": "str"}),
    ("0000000000000007", "0000000000000003", "Function: {name}", 5000, 6000,
     {"logfire.msg_template": "Function: {name}", "logfire.span_type": "span", "logfire.msg": "Function: random_number",
      "name": "random_number", "input": "{}", "mcp_data": "null", "gen_ai.system": "openai", "output": "4"}),
    ("0000000000000009", "0000000000000003", "Handoff: {from_agent} → {to_agent}", 7000, 8000,
     {"logfire.msg_template": "Handoff: {from_agent} → {to_agent}", "logfire.span_type": "span",
      "logfire.msg": "Handoff: agent1 → agent2", "from_agent": "agent1", "gen_ai.system": "openai", "to_agent": "agent2"}),
    # Near miss: Logfire's own auto-traced function (tests/test_auto_instrumentation.py), no tool of an agent.
    ("000000000000000b", "0000000000000001", "function {function_name}() called", 9100, 9200,
     {"logfire.msg_template": "function {function_name}() called", "logfire.span_type": "span",
      "logfire.msg": "function wrap() called", "function_name": "wrap", "code.function": "wrap"}),
]  # fmt: skip


def _otlp(tmp_path: Path) -> Path:
    lines = [{"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [
        {"scope": {"name": "logfire.openai_agents"}, "spans": [otlp_span(sid, parent, name, start, end, attrs, trace=_TRACE)]}]}]}
        for sid, parent, name, start, end, attrs in _SPANS]  # fmt: skip
    path = tmp_path / "logfire_agents.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


def _langfuse(tmp_path: Path) -> Path:
    observations = []
    for sid, parent, name, start, end, attrs in _SPANS[1:]:
        metadata = {"attributes": attrs, "resourceAttributes": {"service.name": "unknown_service"},
                    "scope": {"name": "logfire.openai_agents", "version": "3.16.0", "attributes": {}}}  # fmt: skip
        observations.append({
            "id": sid, "traceId": _TRACE, "parentObservationId": parent if parent != _SPANS[0][0] else None,
            "type": "SPAN", "name": name, "level": "DEFAULT", "statusMessage": None,
            "startTime": f"2025-09-30T09:04:{start // 1000:02d}.000Z", "endTime": f"2025-09-30T09:04:{end // 1000:02d}.000Z",
            "input": None, "output": None, "metadata": json.dumps(metadata),
        })  # fmt: skip
    trace = {"id": _TRACE, "name": "OpenAI Agents trace: {name}", "timestamp": "2025-09-30T09:04:00.000Z",
             "input": None, "output": None, "sessionId": None, "metadata": json.dumps({"attributes": _SPANS[0][5]})}  # fmt: skip
    path = tmp_path / "logfire_agents.trace.json"
    path.write_text(json.dumps({"trace": trace, "observations": observations}))
    return path


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    result = forensics.load(path)
    account = result.report.files[0]
    assert account.rows + account.quarantined + account.merged == len(_SPANS) and account.quarantined == 0
    return {r["span_id"]: r for r in result.spans.to_pylist()}


def _check(rows: dict[str, dict[str, Any]]) -> None:
    agent, call, handoff, own = (rows[i] for i in ("0000000000000003", "0000000000000007", "0000000000000009",
                                                     "000000000000000b"))  # fmt: skip
    assert (agent["kind"], agent["agent"]) == ("agent", "agent1")
    assert (call["kind"], call["tool"], call["agent"], call["input"], call["output"]) == (
        "tool",
        "random_number",
        "agent1",
        "{}",
        "4",
    )
    assert (handoff["kind"], handoff["handoff_to"], handoff["agent"]) == ("handoff", "agent2", "agent1")
    # Near miss: a Logfire span of another template keeps no kind of an agent's work.
    assert own["kind"] not in ("tool", "agent", "handoff") and own["tool"] is None


@pytest.mark.parametrize("vectorised", ["0", "1"])
def test_otlp_export_reads_the_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vectorised: str
) -> None:
    monkeypatch.setenv("FORENSICS_VECTORISED_OTLP", vectorised)
    rows = _rows(_otlp(tmp_path))
    _check(rows)
    assert (rows["0000000000000001"]["kind"], rows["0000000000000001"]["agent"]) == ("chain", None)


def test_langfuse_export_reads_the_templates(tmp_path: Path) -> None:
    # The trace is the Langfuse loader's own root (span id = trace id): the five spans are observations.
    result = forensics.load(_langfuse(tmp_path))
    account = result.report.files[0]
    assert account.format == "langfuse" and account.quarantined == 0
    _check({r["span_id"]: r for r in result.spans.to_pylist()})
