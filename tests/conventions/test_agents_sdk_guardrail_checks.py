"""An OpenAI Agents SDK input guardrail traced by OpenInference: the check that ran before a refund.

openai-agents-python ``src/agents/_run_impl.py`` ``run_single_input_guardrail`` runs each guardrail
inside ``guardrail_span(guardrail.get_name())`` under the agent's span and sets
``span_data.triggered``; Arize-ai/openinference ``python/instrumentation/openinference-
instrumentation-openai-agents/src/openinference/instrumentation/openai_agents/_processor.py`` writes
it as a CHAIN span (``_get_span_kind``: GuardrailSpanData -> CHAIN) named by the guardrail
(``_get_span_name``), with ``llm.system`` "openai" (``on_span_start``) and no ``triggered``
(``on_span_end`` writes nothing for guardrail spans). A tripwire that fired is recorded on the
agent's span instead: ``src/agents/run.py`` ``_run_input_guardrails`` attaches
``SpanError("Guardrail tripwire triggered", data={"guardrail": name, "type": "input_guardrail"})``,
which the processor writes as the status description ``f"{message}: {data}"``. The OTel SDK's
``ReadableSpan.to_json()`` keeps no instrumentation scope.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

import forensics
from forensics.classify import classify

GUARD = "refund_policy_guardrail"
TRIPPED = f"Guardrail tripwire triggered: {{'guardrail': '{GUARD}', 'type': 'input_guardrail'}}"


def _span(i: int, name: str, kind: str, parent: int | None, status: dict[str, str] | None = None,
          system: bool = True, **attributes: Any) -> dict[str, Any]:  # fmt: skip
    attrs = {"openinference.span.kind": kind, **({"llm.system": "openai"} if parent is not None and system else {}),
             **attributes}  # fmt: skip
    return {
        "name": name, "context": {"trace_id": "0x" + "ef" * 16, "span_id": f"0x{i + 1:016x}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL", "parent_id": None if parent is None else f"0x{parent + 1:016x}",
        "start_time": f"2025-11-20T00:00:{10 + 2 * i:02d}.000000Z", "end_time": f"2025-11-20T00:00:{11 + 2 * i:02d}.000000Z",
        "status": status or {"status_code": "OK"}, "attributes": attrs, "events": [], "links": [],
        "resource": {"attributes": {"service.name": "refunds"}, "schema_url": ""},
    }  # fmt: skip


def _run(tmp_path: Path, *, guard: str | None = GUARD, tripped: bool = False,
         system: bool = True) -> tuple[pl.DataFrame, list[str]]:  # fmt: skip
    """The agent's spans: its guardrail (named ``guard``), a model call, the refund, the answer."""
    agent_status = {"status_code": "ERROR", "description": TRIPPED} if tripped else None
    spans = [_span(0, "Agent workflow", "AGENT", None), _span(1, "Refund Agent", "AGENT", 0, agent_status)]
    if guard is not None:
        spans.append(_span(2, guard, "CHAIN", 1, system=system))
    spans += [
        _span(3, "response", "LLM", 1, **{"input.value": "Refund order 4411, it arrived broken",
                                          "output.value": '{"output": [{"type": "function_call"}]}'}),
        _span(4, "issue_refund", "TOOL", 1, **{"tool.name": "issue_refund", "input.value": '{"order_id": "4411"}',
                                               "output.value": '{"refund_id": "re_1", "status": "succeeded"}'}),
        _span(5, "response", "LLM", 1, **{"output.value": "Your refund for order 4411 has been issued."}),
    ]  # fmt: skip
    path = tmp_path / "agents_sdk_guardrail.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    df = pl.DataFrame(pl.from_arrow(forensics.load(path, format="otel-sdk-json").spans))
    found = pl.DataFrame(pl.from_arrow(classify(df.to_arrow()).findings))
    return found, found.get_column("detector").to_list() if found.height else []


def test_near_miss_a_guardrail_that_ran_and_passed_guards_the_refund(tmp_path: Path) -> None:
    _, found = _run(tmp_path)
    assert found == []


def test_the_refund_with_no_guardrail_is_unguarded(tmp_path: Path) -> None:
    found, names = _run(tmp_path, guard=None)
    assert names == ["unguarded_irreversible"]
    assert found.get_column("decisive_span_id").item() == "0000000000000005"


def test_a_tripped_guardrail_is_a_stop_not_a_guard(tmp_path: Path) -> None:
    # The tripwire named this guardrail, yet the refund ran: the stop was overridden.
    _, names = _run(tmp_path, tripped=True)
    assert "tripwire_overridden" in names and "unguarded_irreversible" in names


def test_an_sdk_span_type_is_no_guardrail(tmp_path: Path) -> None:
    # A CHAIN span named by the SDK's own span type (mcp_tools: an MCP server's tool list) is no check.
    _, names = _run(tmp_path, guard="mcp_tools")
    assert names == ["unguarded_irreversible"]


def test_near_miss_a_chain_named_for_a_guardrail_guards_without_llm_system(tmp_path: Path) -> None:
    # The same check with fewer attributes (no llm.system): its name says what it is.
    _, found = _run(tmp_path, system=False)
    assert found == []


def test_a_bare_chain_without_llm_system_or_a_guardrail_name_is_no_check(tmp_path: Path) -> None:
    _, names = _run(tmp_path, guard="format_refund_reply", system=False)
    assert names == ["unguarded_irreversible"]
