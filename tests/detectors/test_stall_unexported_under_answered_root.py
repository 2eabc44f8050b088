"""stall and a run span never exported under a root that answered after it (unexported.py).

OpenInference's smolagents ``_RunWrapper`` records the exception ``agent.run`` raised and re-raises it
without ending the ``<Agent>.run`` span (Arize-ai/openinference openinference-instrumentation-smolagents
``_wrappers.py``), so the run span is never exported while its ``Step N`` spans are; the OpenTelemetry
SDK exports a span only once it ends (``BatchSpanProcessor.on_end``). A FastAPI handler that caught it,
ran the agent again and answered 200 ends its server span (opentelemetry-instrumentation-fastapi) after
all of that: the process went on and the run ended. A handler that answered 202 at once and left the
agent working says nothing of the work after its answer. Rows as the OpenTelemetry Collector's
ClickHouse exporter stores them (exporter/clickhouseexporter).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.classify import classify
from forensics.load import load

_T0 = datetime(2026, 4, 3, 10, 0, 0)
TRACE = "5e" * 16
_CONN = "litellm.APIConnectionError: AzureException APIConnectionError - Connection error"


def _row(sid: str, parent: str, name: str, start_s: float, dur_s: float, attrs: dict[str, Any],
         *, error: str | None = None, status: str = "STATUS_CODE_OK") -> dict[str, Any]:  # fmt: skip
    start = _T0 + timedelta(seconds=start_s)
    row: dict[str, Any] = {
        "Timestamp": start.strftime("%Y-%m-%d %H:%M:%S.%f000"), "TraceId": TRACE, "SpanId": sid, "ParentSpanId": parent,
        "TraceState": "", "SpanName": name, "SpanKind": "SPAN_KIND_INTERNAL", "ServiceName": "helpdesk-api",
        "ResourceAttributes": {"service.name": "helpdesk-api"}, "SpanAttributes": {**attrs, "session.id": "hd-1"},
        "Duration": str(int(dur_s * 1e9)), "StatusCode": status, "StatusMessage": "",
        "Events.Timestamp": [], "Events.Name": [], "Events.Attributes": [],
    }  # fmt: skip
    if error:
        row.update({"StatusCode": "STATUS_CODE_ERROR", "StatusMessage": error, "Events.Name": ["exception"],
                    "Events.Timestamp": [row["Timestamp"]],
                    "Events.Attributes": [{"exception.type": error.split(":")[0], "exception.message": error}]})  # fmt: skip
    return row


def _attempt(run_span: str, parent: str | None, at: float, *, fails: bool) -> list[dict[str, Any]]:
    """One ``CodeAgent.run``: step 1 searches; step 2's model call fails (``fails``: the run span is
    never exported) or answers (the run span ends, under ``parent``)."""
    k = run_span[-1]
    search = {"openinference.span.kind": "TOOL", "tool.name": "search_docs", "output.value": "[1] Rotate with two secrets.",
              "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": False, "kwargs": {"query": "rotate secret"}})}  # fmt: skip
    rows = [
        _row(f"b{k}00000000000001", run_span, "Step 1", at, 1.0, {"openinference.span.kind": "CHAIN", "output.value": "[1] Rotate"}),
        _row(f"d{k}00000000000001", f"b{k}00000000000001", "SimpleTool", at + 0.2, 0.3, search),
    ]  # fmt: skip
    llm = {"openinference.span.kind": "LLM", "llm.model_name": "azure/gpt-4o-mini"}
    if fails:
        rows += [
            _row(f"b{k}00000000000002", run_span, "Step 2", at + 1.1, 0.3, {"openinference.span.kind": "CHAIN"},
                 error=f"AgentGenerationError: Error in generating model output:\n{_CONN}"),
            _row(f"c{k}00000000000002", f"b{k}00000000000002", "LiteLLMModel.generate", at + 1.1, 0.2, llm, error=_CONN),
        ]  # fmt: skip
    else:
        answer = {**llm, "output.value": json.dumps({"role": "assistant", "content": "final_answer('Use two secrets.')"})}
        rows += [
            _row(run_span, parent or "", "CodeAgent.run", at, 2.0, {"openinference.span.kind": "AGENT", "output.value": "Use two secrets."}),
            _row(f"b{k}00000000000002", run_span, "Step 2", at + 1.1, 0.8, {"openinference.span.kind": "CHAIN", "output.value": "Use two secrets."}),
            _row(f"c{k}00000000000002", f"b{k}00000000000002", "LiteLLMModel.generate", at + 1.1, 0.6, answer),
        ]  # fmt: skip
    return rows


def _server(end_s: float, code: str) -> dict[str, Any]:
    return _row("f000000000000001", "", "POST /api/ask", 0.0, end_s, {"http.route": "/api/ask", "http.response.status_code": code},
                status="STATUS_CODE_UNSET")  # fmt: skip


def _stall(tmp_path: Path, rows: list[dict[str, Any]]) -> list[str]:
    path = tmp_path / "otel_traces.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    found = classify(load(path).to_polars()).to_polars()[0]
    return found.filter(pl.col("detector") == "stall").get_column("run_id").to_list()


def test_near_miss_the_handler_ran_the_agent_again_and_answered(tmp_path: Path) -> None:
    rows = [_server(6.0, "200"), *_attempt("a000000000000001", None, 0.1, fails=True),
            *_attempt("a000000000000002", "f000000000000001", 2.0, fails=False)]  # fmt: skip
    assert _stall(tmp_path, rows) == []


def test_fires_when_the_handler_answered_before_the_work_and_the_run_span_never_ended(tmp_path: Path) -> None:
    # The handler answered 202 at 0.05 s and left the agent working: its end says nothing of the run.
    rows = [_server(0.05, "202"), *_attempt("a000000000000001", None, 0.1, fails=True)]
    assert _stall(tmp_path, rows) == [TRACE]
