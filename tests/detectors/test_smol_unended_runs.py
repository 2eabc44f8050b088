"""smolagents runs that never ended, as the OpenTelemetry ClickHouse exporter stored them: who owns
what the run left behind.

Shapes: Arize-ai/openinference ``python/instrumentation/openinference-instrumentation-smolagents/src/
openinference/instrumentation/smolagents/_wrappers.py``: ``_RunWrapper`` starts the ``<Agent>.run``
span and, when ``run()`` raises, records the exception, sets ERROR and re-raises without ending it
(never exported); ``_StepWrapper`` opens ``Step N`` with ``start_as_current_span`` (an exception
leaving the step fails and ends it); ``_ModelWrapper`` the ``<Model>.generate`` call under it.
huggingface/smolagents ``src/smolagents/agents.py``: a model call's failure becomes
``AgentGenerationError``, re-raised out of the step loop (``except AgentGenerationError as e: raise
e``), every other ``AgentError`` is kept on the step and the loop goes on;
``src/smolagents/default_tools.py``: ``UserInputTool`` (``user_input``) blocks on ``input()``.
open-telemetry/opentelemetry-collector-contrib ``exporter/clickhouseexporter/exporter_traces.go``:
the JSONEachRow columns. The OpenTelemetry SDK exports a span only once it ended
(``BatchSpanProcessor.on_end``). open-telemetry/opentelemetry-collector-contrib
``processor/k8sattributesprocessor``: ``k8s.cronjob.name`` on a scheduled job's resource.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.classify import classify
from forensics.load import load

_T0 = datetime(2026, 3, 2, 9, 0, 0)
_CODE = "You are an expert assistant who can solve any task using code blobs."


def _row(trace: str, span_id: str, parent: str, name: str, start_s: float, dur_s: float, attrs: dict[str, Any],
         *, error: str | None = None) -> dict[str, Any]:  # fmt: skip
    start = _T0 + timedelta(seconds=start_s)
    row: dict[str, Any] = {
        "Timestamp": start.strftime("%Y-%m-%d %H:%M:%S.%f000"), "TraceId": trace, "SpanId": span_id,
        "ParentSpanId": parent, "TraceState": "", "SpanName": name, "SpanKind": "SPAN_KIND_INTERNAL",
        "ServiceName": "ops-agent", "ResourceAttributes": {"service.name": "ops-agent"},
        "SpanAttributes": {**attrs, "otel.scope.name": "openinference.instrumentation.smolagents"},
        "Duration": str(int(dur_s * 1e9)), "StatusCode": "STATUS_CODE_OK", "StatusMessage": "",
        "Events.Timestamp": [], "Events.Name": [], "Events.Attributes": [],
    }  # fmt: skip
    if error:
        end = (start + timedelta(seconds=dur_s)).strftime("%Y-%m-%d %H:%M:%S.%f000")
        row.update({"StatusCode": "STATUS_CODE_ERROR", "StatusMessage": error, "Events.Timestamp": [end],
                    "Events.Name": ["exception"], "Events.Attributes": [{"exception.type": error.split(":")[0],
                    "exception.message": error, "exception.escaped": "False"}]})  # fmt: skip
    return row


def _model(trace: str, span_id: str, parent: str, start_s: float, content: str, *, error: str | None = None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
                             "input.value": json.dumps({"messages": [{"role": "system", "content": _CODE}]})}  # fmt: skip
    if error is None:
        attrs["output.value"] = json.dumps({"role": "assistant", "content": content, "tool_calls": None})
    return _row(trace, span_id, parent, "OpenAIServerModel.generate", start_s, 2.0, attrs, error=error)


def _tool(trace: str, span_id: str, parent: str, start_s: float, name: str, kwargs: dict[str, Any], out: str,
          *, error: str | None = None) -> dict[str, Any]:  # fmt: skip
    attrs = {"openinference.span.kind": "TOOL", "tool.name": name,
             "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": False, "kwargs": kwargs})}  # fmt: skip
    if error is None:
        attrs["output.value"] = out
    return _row(trace, span_id, parent, "SimpleTool", start_s, 1.0, attrs, error=error)


def _step(trace: str, span_id: str, parent: str, n: int, start_s: float, dur_s: float, out: str, *, error: str | None = None) -> dict[str, Any]:
    attrs = {"openinference.span.kind": "CHAIN", "output.value": out}
    return _row(trace, span_id, parent, f"Step {n}", start_s, dur_s, attrs, error=error)


_RUN = "a000000000000001"  # the run span: never exported unless the run ended


def _step_one(trace: str) -> list[dict[str, Any]]:
    code = "Thought: count the rows.\nCode:\n```py\nprint(query_warehouse(sql='SELECT COUNT(*) FROM charges'))\n```<end_code>"
    return [
        _step(trace, "b000000000000001", _RUN, 1, 0.0, 6.0, "Execution logs:\n21211\nLast output from code snippet:\nNone"),
        _model(trace, "c000000000000001", "b000000000000001", 0.1, code),
        _tool(trace, "d000000000000001", "b000000000000001", 2.5, "query_warehouse", {"sql": "SELECT COUNT(*) FROM charges"}, "21211"),
    ]


def _write(tmp_path: Path, rows: list[dict[str, Any]], name: str = "runs.jsonl") -> pl.DataFrame:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return load(path).to_polars()


def _found(spans: pl.DataFrame, trace: str) -> dict[str, str | None]:
    f = classify(spans).to_polars()[0].filter(pl.col("run_id") == trace)
    return dict(zip(f.get_column("detector").to_list(), f.get_column("decisive_span_id").to_list(), strict=True))


# --- orphan_failure: the model call whose failure ended a run no exported agent owns -------------

_TR = "6e0000000000000000000000000000a1"
_401 = "AuthenticationError: Error code: 401 - Access token is missing, invalid, audience is incorrect, or have expired."


def _in_cronjob(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as a scheduled job exports them: the resource names its Kubernetes CronJob
    (``k8s.cronjob.name``, OpenTelemetry's k8s resource conventions; the collector's
    k8sattributesprocessor adds it from the pod's owner)."""
    return [{**r, "ResourceAttributes": {**r["ResourceAttributes"], "k8s.cronjob.name": "nightly-recon"}} for r in rows]


def _died() -> list[dict[str, Any]]:
    return [*_step_one(_TR),
            _step(_TR, "b000000000000002", _RUN, 2, 6.5, 2.2, "", error=f"AgentGenerationError: Error in generating model output:\n{_401}"),
            _model(_TR, "c000000000000002", "b000000000000002", 6.6, "", error=_401)]  # fmt: skip


def test_a_model_call_failure_that_killed_a_scheduled_run_has_no_owner(tmp_path: Path) -> None:
    found = _found(_write(tmp_path, _in_cronjob(_died())), _TR)
    assert found.get("orphan_failure") == "c000000000000002"
    assert found.get("unhandled_error") == "c000000000000002"


def test_near_miss_in_a_service_the_caller_receives_what_run_raised(tmp_path: Path) -> None:
    # The same death in a service's request: the exception agent.run raised reaches the handler that
    # called it, which answers the request with it. Missing fallback, not a failure nobody owns.
    found = _found(_write(tmp_path, _died()), _TR)
    assert "orphan_failure" not in found
    assert found.get("unhandled_error") == "c000000000000002" and found.get("stall") == "c000000000000002"


def test_near_miss_a_tool_failure_the_step_kept_is_a_run_going_on(tmp_path: Path) -> None:
    # A tool the code called raised: AgentExecutionError, kept on the step (ERROR) while the loop
    # goes on to the next step; the export was cut before that step ended. No owner is missing yet.
    code = "Code:\n```py\nprint(query_warehouse(sql='SELECT SUM(amount) FROM charges'))\n```<end_code>"
    rows = [*_step_one(_TR),
            _step(_TR, "b000000000000002", _RUN, 2, 6.5, 4.0, "", error="AgentExecutionError: Code execution failed at line 1"),
            _model(_TR, "c000000000000002", "b000000000000002", 6.6, code),
            _tool(_TR, "d000000000000002", "b000000000000002", 9.0, "query_warehouse", {"sql": "SELECT SUM(amount) FROM charges"}, "",
                  error="OperationalError: statement timeout")]  # fmt: skip
    assert "orphan_failure" not in _found(_write(tmp_path, _in_cronjob(rows)), _TR)


def test_near_miss_a_streamed_run_ends_its_span_and_owns_the_failure(tmp_path: Path) -> None:
    # run(stream=True): the wrapper's generator records the error and ends the run span in `finally`,
    # so the agent is exported above the failure: the agent owns it (unhandled_error's alone).
    rows = [_row(_TR, _RUN, "", "CodeAgent.run", -0.1, 9.0, {"openinference.span.kind": "AGENT", "smolagents.task": "Reconcile"},
                 error=f"AgentGenerationError: {_401}"),
            *_step_one(_TR),
            _step(_TR, "b000000000000002", _RUN, 2, 6.5, 2.2, "", error=f"AgentGenerationError: {_401}"),
            _model(_TR, "c000000000000002", "b000000000000002", 6.6, "", error=_401)]  # fmt: skip
    found = _found(_write(tmp_path, _in_cronjob(rows)), _TR)
    assert "orphan_failure" not in found
    assert found.get("unhandled_error") == "c000000000000002"


# --- limbo: a question to a person the run hung on ---------------------------------------------

_ASK = ("Thought: I don't know the cost center; I'll ask.\nCode:\n```py\ncc = user_input(question=\"Which cost center "
        "should the laptop be charged to?\")\nprint(cc)\n```<end_code>")


def _asking(trace: str) -> list[dict[str, Any]]:
    """Step 1 done; step 2's model call asks the person; the tool call, step 2 and the run never end."""
    return [*_step_one(trace), _model(trace, "c000000000000002", "b000000000000002", 6.6, _ASK)]


def test_a_run_that_hung_on_a_question_to_a_person_is_in_limbo(tmp_path: Path) -> None:
    found = _found(_write(tmp_path, _asking(_TR)), _TR)
    assert found.get("limbo") == "c000000000000002"
    assert found.get("stall") == "c000000000000002"


def test_near_miss_the_export_was_cut_while_the_person_typed(tmp_path: Path) -> None:
    # The same file holds another run whose spans ended 5 s after the question: the export was cut
    # while the person answered, not after the run hung. Nothing is judged yet.
    other = "6e0000000000000000000000000000b2"
    rows = [*_asking(_TR),
            _row(other, "e000000000000001", "", "ToolCallingAgent.run", 0.0, 13.6, {"openinference.span.kind": "AGENT"}),
            _step(other, "e000000000000002", "e000000000000001", 1, 0.1, 13.4, "ok"),
            _model(other, "e000000000000003", "e000000000000002", 0.2, "All done.")]  # fmt: skip
    found = _found(_write(tmp_path, rows), _TR)
    assert "limbo" not in found and "stall" not in found


def test_near_miss_the_person_answered_and_the_run_went_on(tmp_path: Path) -> None:
    rows = [_row(_TR, _RUN, "", "CodeAgent.run", -0.1, 30.0, {"openinference.span.kind": "AGENT", "output.value": "Ordered on CC-4410."}),
            *_step_one(_TR),
            _step(_TR, "b000000000000002", _RUN, 2, 6.5, 12.0, "Execution logs:\nCC-4410\nLast output from code snippet:\nNone"),
            _model(_TR, "c000000000000002", "b000000000000002", 6.6, _ASK),
            _row(_TR, "d000000000000002", "b000000000000002", "UserInputTool", 9.0, 9.0,
                 {"openinference.span.kind": "TOOL", "tool.name": "user_input", "output.value": "CC-4410",
                  "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": False,
                                             "kwargs": {"question": "Which cost center should the laptop be charged to?"}})})]  # fmt: skip
    assert "limbo" not in _found(_write(tmp_path, rows), _TR)
