"""pydantic-ai and Strands Agents write a run's usage on the agent span as well as each call's on its
chat span; the run's tokens are counted once.

* pydantic-ai: the agent run span (``invoke_agent {name}``, or ``agent run`` before instrumentation
  version 2) carries ``agent_name``, ``model_name`` and ``gen_ai.agent.name``, and at its end
  ``usage.opentelemetry_attributes()``, the RunUsage summed over the run's requests
  (pydantic_ai/agent/__init__.py ``iter`` / ``_run_span_end_attributes``); each model request's
  ``chat {model}`` span carries its own response's usage (pydantic_ai/models/instrumented.py).
* Strands Agents 1.x: ``invoke_agent {name}`` (gen_ai.operation.name invoke_agent) gets
  ``accumulated_usage`` as gen_ai.usage.* in ``end_agent_span``; each ``chat`` span its call's usage in
  ``end_model_invoke_span``; the ``execute_event_loop_cycle`` spans between carry none
  (strands-agents/sdk-python src/strands/telemetry/tracer.py).

Both agent spans load as kind agent, so conventions.rollups nulls their figures in runs whose model
calls carry their own; a run whose model spans carry nothing keeps the agent's totals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl
from sdk_spans import sdk_span

import forensics
from forensics.conventions.rollups import without_rollups


def _usage(i: int, o: int) -> dict[str, int]:
    return {"gen_ai.usage.input_tokens": i, "gen_ai.usage.output_tokens": o}


def _strands_usage(i: int, o: int) -> dict[str, int]:
    return {**_usage(i, o), "gen_ai.usage.prompt_tokens": i, "gen_ai.usage.completion_tokens": o,
            "gen_ai.usage.total_tokens": i + o}


def _tokens(tmp_path: Path, spans: list[dict[str, Any]]) -> tuple[int, int, list[str]]:
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    df = pl.from_arrow(forensics.load(path, format="otel-sdk-json").spans)
    counted = without_rollups(df)
    return int(df["input_tokens"].sum()), int(counted["input_tokens"].sum()), df["kind"].to_list()


def _pydantic_ai(calls_carry_usage: bool) -> list[dict[str, Any]]:
    chat = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
    return [
        sdk_span(0, "invoke_agent support", {"model_name": "gpt-4o", "agent_name": "support", "gen_ai.agent.name": "support",
                                             "logfire.msg": "support run", "final_result": "Done.", **_usage(1500, 90)}, None),
        sdk_span(1, "chat gpt-4o", {**chat, **(_usage(700, 40) if calls_carry_usage else {})}),
        sdk_span(2, "running tool", {"gen_ai.tool.name": "lookup", "gen_ai.tool.call.id": "call_1",
                                     "tool_arguments": "{}", "tool_response": "{}"}),
        sdk_span(3, "chat gpt-4o", {**chat, **(_usage(800, 50) if calls_carry_usage else {})}),
    ]


def _strands() -> list[dict[str, Any]]:
    system = {"gen_ai.system": "strands-agents"}
    return [
        sdk_span(0, "invoke_agent billing", {**system, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "billing",
                                             "gen_ai.request.model": "us.anthropic.claude-sonnet-4", **_strands_usage(1500, 90)}, None),
        sdk_span(1, "execute_event_loop_cycle", {"event_loop.cycle_id": "c-1"}),
        sdk_span(2, "chat", {**system, "gen_ai.operation.name": "chat", "gen_ai.request.model": "us.anthropic.claude-sonnet-4",
                             **_strands_usage(700, 40)}, 1),
        sdk_span(3, "execute_event_loop_cycle", {"event_loop.cycle_id": "c-2"}),
        sdk_span(4, "chat", {**system, "gen_ai.operation.name": "chat", "gen_ai.request.model": "us.anthropic.claude-sonnet-4",
                             **_strands_usage(800, 50)}, 3),
    ]


def test_pydantic_ai_run_usage_is_counted_once(tmp_path: Path) -> None:
    raw, counted, kinds = _tokens(tmp_path, _pydantic_ai(calls_carry_usage=True))
    assert kinds[0] == "agent" and (raw, counted) == (3000, 1500)


def test_strands_run_usage_is_counted_once(tmp_path: Path) -> None:
    raw, counted, kinds = _tokens(tmp_path, _strands())
    assert kinds[0] == "agent" and (raw, counted) == (3000, 1500)


def test_near_miss_the_run_total_alone_is_kept(tmp_path: Path) -> None:
    # Chat spans without usage (a provider that reported none): the agent's total is the only figure.
    raw, counted, _ = _tokens(tmp_path, _pydantic_ai(calls_carry_usage=False))
    assert (raw, counted) == (1500, 1500)


def test_pydantic_ai_operation_cost_is_read_and_counted_once(tmp_path: Path) -> None:
    """pydantic-ai prices each model request (genai-prices) and writes it as ``operation.cost``, a float
    in USD, on the ``chat {model}`` span, and the run's total on the agent run span
    (pydantic_ai/models/instrumented.py ``attributes_to_set['operation.cost'] = float(price_calculation.total_price)``)."""
    spans = _pydantic_ai(calls_carry_usage=True)
    spans[0]["attributes"] |= {"gen_ai.operation.name": "invoke_agent", "operation.cost": 0.0123}
    spans[1]["attributes"]["operation.cost"] = 0.0050
    spans[3]["attributes"]["operation.cost"] = 0.0073
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    df = pl.from_arrow(forensics.load(path, format="otel-sdk-json").spans)
    assert df["cost_usd"].to_list() == [0.0123, 0.0050, None, 0.0073]
    assert round(without_rollups(df)["cost_usd"].sum(), 6) == 0.0123


def test_near_miss_an_apps_own_operation_cost_is_no_price(tmp_path: Path) -> None:
    # The key is generic: an app's span writes it as a label (a TypeScript tracing guide's
    # 'operation.cost': 'high'), or as a number on a span with no GenAI attribute. Neither is a price,
    # and neither is quarantined: the attribute stays as written.
    spans = [sdk_span(0, "expensive-operation", {"operation.type": "computation", "operation.cost": "high"}, None),
             sdk_span(1, "batch", {"operation.cost": 3})]
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    result = forensics.load(path, format="otel-sdk-json")
    df = pl.from_arrow(result.spans)
    assert result.report.files[0].quarantined == 0
    assert df["cost_usd"].to_list() == [None, None]
    assert [orjson.loads(a)["operation.cost"] for a in df["attributes"]] == ["high", 3]
