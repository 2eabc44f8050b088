"""smolagents traces as ClickHouse rows for tests: the OpenTelemetry ClickHouse exporter's row shape
(``timestamp``, ``trace_id``, ``span_id``, ``parent_span_id``, ``span_name``, ``span_attributes``,
``duration``...) with nested ``child_spans``, as the smolagents_dev incidents are written, scope
``openinference.instrumentation.smolagents``."""

from __future__ import annotations

from typing import Any


def smol_span(trace: str, span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any],
              children: list[Any], *, service: str = "smol-agent") -> dict[str, Any]:  # fmt: skip
    """One span at ``second`` past 14:00 on 2025-03-19, status Ok, lasting a second."""
    return {
        "timestamp": f"2025-03-19T14:00:{second:02d}Z", "trace_id": trace, "span_id": span_id,
        "parent_span_id": parent, "span_name": name, "span_kind": "Internal", "service_name": service,
        "resource_attributes": {"service.name": service}, "scope_name": "openinference.instrumentation.smolagents",
        "scope_version": "0.1.11", "span_attributes": attrs, "status_code": "Ok", "status_message": "",
        "events": [], "links": [], "logs": [], "duration": "PT1.000000S", "child_spans": children,
    }


def tool_calling_run(trace: str, task: str, answer: str, steps: list[Any], *, service: str = "smol-agent") -> dict[str, Any]:
    """A ToolCallingAgent's run span over its ``steps``, as the file holds it: ``{"trace_id", "spans"}``."""
    root = smol_span(trace, "a300000000000001", "", "ToolCallingAgent.run", 0,
                     {"openinference.span.kind": "AGENT", "smolagents.task": task, "output.value": answer}, steps,
                     service=service)  # fmt: skip
    return {"trace_id": trace, "spans": [root]}



def tool_steps_run(trace: str, task: str, calls: list[tuple[str, dict[str, Any], str]], answer: str, *,
                   service: str = "smol-agent", prefix: str = "5") -> dict[str, Any]:  # fmt: skip
    """A ToolCallingAgent's run (:func:`tool_calling_run`): one ``Step N`` per ``(tool, kwargs,
    result)`` holding its model call (``b{prefix}...{i}``, the tool call it asked for) and its tool
    call (``c{prefix}...{i}``, the result as ``output.value``, the span OK: src/smolagents/tools.py,
    openinference-instrumentation-smolagents ``_ToolCallWrapper``), then the final_answer step."""
    import json

    def step(i: int, tool: str, kwargs: dict[str, Any], result: str) -> dict[str, Any]:
        sid, pad = f"a{prefix}{i + 2:014d}", f"{i:014d}"
        model = smol_span(trace, f"b{prefix}{pad}", sid, "LiteLLMModel.__call__", 3 * i + 1, {
            "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": tool,
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": json.dumps(kwargs)}, [], service=service)  # fmt: skip
        call = smol_span(trace, f"c{prefix}{pad}", sid, "FinalAnswerTool" if tool == "final_answer" else "SimpleTool", 3 * i + 2, {
            "openinference.span.kind": "TOOL", "tool.name": tool, "output.value": result,
            "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": kwargs})}, [], service=service)  # fmt: skip
        return smol_span(trace, sid, "a300000000000001", f"Step {i + 1}", 3 * i + 1,
                         {"openinference.span.kind": "CHAIN", "output.value": result}, [model, call], service=service)  # fmt: skip

    steps = [step(i, *c) for i, c in enumerate([*calls, ("final_answer", {"answer": answer}, answer)])]
    return tool_calling_run(trace, task, answer, steps, service=service)

def clickhouse_row(trace: str, sid: str, parent: str, name: str, kind: str, second: int, *, minute: str = "2026-03-10 06:45",
                   status: str = "Ok", attrs: dict[str, str] | None = None,
                   events: list[tuple[str, dict[str, str]]] = ()) -> dict[str, Any]:  # type: ignore[assignment]  # fmt: skip
    """One span as the OpenTelemetry Collector ClickHouse exporter writes it (JSONEachRow, flat
    ``Events.*`` columns), at ``second`` past ``minute``, lasting 0.9 s; each event at half past."""
    return {
        "Timestamp": f"{minute}:{second:02d}.000000000", "TraceId": trace, "SpanId": sid,
        "ParentSpanId": parent, "TraceState": "", "SpanName": name, "SpanKind": "Internal",
        "ServiceName": "desk", "ResourceAttributes": {"service.name": "desk"},
        "ScopeName": "openinference.instrumentation.smolagents", "ScopeVersion": "0.1.14",
        "SpanAttributes": {"openinference.span.kind": kind, **(attrs or {})}, "Duration": "900000000",
        "StatusCode": status, "StatusMessage": "",
        "Events.Timestamp": [f"{minute}:{second:02d}.500000000" for _ in events],
        "Events.Name": [n for n, _ in events], "Events.Attributes": [a for _, a in events],
    }  # fmt: skip
