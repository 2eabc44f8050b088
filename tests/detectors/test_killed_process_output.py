"""A process killed under a tool call (SIGKILL, an OOM kill), its partial output used as if whole.

A process the kernel kills runs no handler: what it printed before the kill is all there is. A
shell reports it as exit status 137 (bash(1) EXIT STATUS: 128+n for fatal signal n), Python's
subprocess as ``returncode`` -9. Two shapes, both read by ``forensics/detectors/returned_errors.py``
and ``forensics/conventions/killed.py``:

* a code tool that returns the process's result as data, OK: E2B's ``ProcessResult(stderr, stdout,
  exit_code, error)`` (e2b-dev/E2B packages/python-sdk/e2b/sandbox/process/process_handle.py) or a
  Kubernetes job's ``exitCode`` / ``reason: OOMKilled`` (ContainerStateTerminated) beside the
  stdout. A smolagents ``@tool`` returns it as the call's result (src/smolagents/tools.py ``tool``:
  the function is ``forward``), which openinference-instrumentation-smolagents ends OK with it as
  ``output.value`` (``_wrappers.py`` ``_ToolCallWrapper``); pydantic-ai's 'running tool' span
  records what the tool returned as ``tool_response`` (pydantic_ai/_tool_manager.py): error_as_data;
* an OpenHands command SIGKILLed (CmdOutputObservation ``metadata.exit_code`` 137, the loader's
  error ``exit_code=137``) after which the agent ran other commands on the partial file and shipped
  it: those commands (``wc -l``, ``curl``) are no re-run of the killed one (another program), so
  the kill is an error the run reported success over: swallowed_error.

Near misses: the same call ending with exit 0; the kill followed by a re-run of the same command or
tool that completed; a pod's status read (``exitCode`` 137 with no output streams: data about
another process); a listing of jobs, one killed (records inside a list); an OpenHands command still
running at the no-change timeout (exit code -1: no verdict).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from sdk_spans import sdk_span
from smol_rows import smol_span, tool_calling_run

from forensics.classify import classify
from forensics.detectors.base import prepare
from forensics.load import load
from forensics.policy import resolve_policy

_TRACE = "5a1e0000000000000000000000000137"
SCRIPT = {"script": "import pandas as pd, glob\nfor f in sorted(glob.glob('/mnt/cur/*.parquet')): ...", "memory_mb": 2048}
PARTIAL = "/mnt/cur/part-000.parquet logistics=412880.17\n/mnt/cur/part-001.parquet logistics=398112.40\n"
KILLED = json.dumps({"exit_code": 137, "signal": "SIGKILL", "stdout": PARTIAL, "stderr": "", "files_total": 9})
WHOLE = json.dumps({"exit_code": 0, "stdout": PARTIAL + "TOTAL logistics=3610992.57\n", "stderr": "", "files_total": 9})
ANSWER = "Q3 cloud spend: logistics $810,992.57 (total of all parts)."


def _smol(tmp_path: Path, results: list[tuple[str, dict[str, Any], str]], answer: str = ANSWER) -> pl.DataFrame:
    """A smolagents ToolCallingAgent: one step per ``(tool, kwargs, result)``, then final_answer."""
    def span(span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any], children: list[Any]) -> dict[str, Any]:
        return smol_span(_TRACE, span_id, parent, name, second, attrs, children, service="finops-agent")

    def step(i: int, tool: str, kwargs: dict[str, Any], result: str) -> dict[str, Any]:
        sid = f"a30000000000000{i + 2}"
        model = span(f"b30000000000000{i}", sid, "LiteLLMModel.__call__", 3 * i + 1, {
            "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": tool,
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": json.dumps(kwargs)}, [])  # fmt: skip
        call = span(f"c30000000000000{i}", sid, "FinalAnswerTool" if tool == "final_answer" else "SimpleTool", 3 * i + 2, {
            "openinference.span.kind": "TOOL", "tool.name": tool, "output.value": result,
            "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": True, "kwargs": kwargs})}, [])  # fmt: skip
        return span(sid, "a300000000000001", f"Step {i + 1}", 3 * i + 1,
                    {"openinference.span.kind": "CHAIN", "output.value": result}, [model, call])  # fmt: skip

    steps = [step(i, *r) for i, r in enumerate([*results, ("final_answer", {"answer": answer}, answer)])]
    path = tmp_path / "smol_finops.json"
    task = "Total Q3 cloud spend by business unit."
    path.write_text(json.dumps(tool_calling_run(_TRACE, task, answer, steps, service="finops-agent")))
    return load(path).to_polars()


def _found(spans: pl.DataFrame) -> dict[str, str]:
    f = classify(spans).to_polars()[0]
    return dict(zip(f["detector"].to_list(), f["decisive_span_id"].to_list(), strict=True))


def test_a_sandbox_job_oom_killed_returned_as_data_is_error_as_data(tmp_path: Path) -> None:
    # The job's kill as the Kubernetes container state and as E2B's ProcessResult writes it.
    k8s = json.dumps({"exitCode": 137, "reason": "OOMKilled", "logs": PARTIAL})
    e2b = json.dumps({"stderr": "", "stdout": "part-000 412880.17\npart-001 398112.40\n", "exit_code": -9, "error": None})
    for result in (KILLED, k8s, e2b):
        assert _found(_smol(tmp_path, [("run_sandbox_job", SCRIPT, result)])) == {"error_as_data": "c300000000000000"}, result


def test_near_miss_exit_zero_or_a_rerun_that_completed(tmp_path: Path) -> None:
    assert _found(_smol(tmp_path, [("run_sandbox_job", SCRIPT, WHOLE)])) == {}
    rerun = {**SCRIPT, "memory_mb": 8192}
    assert _found(_smol(tmp_path, [("run_sandbox_job", SCRIPT, KILLED), ("run_sandbox_job", rerun, WHOLE)])) == {}


def test_near_miss_a_pods_status_or_a_job_listing_is_data(tmp_path: Path) -> None:
    # No output streams beside the status: the pod's state, read; a killed job inside a list: a record.
    pod = json.dumps({"pod": "etl-7f9c", "exitCode": 137, "reason": "OOMKilled", "restartCount": 3})
    jobs = json.dumps({"jobs": [{"id": "j1", "exit_code": 137, "stdout": "part-000"}, {"id": "j2", "exit_code": 0}]})
    assert _found(_smol(tmp_path, [("inspect_pod", {"name": "etl-7f9c"}, pod)])) == {}
    assert _found(_smol(tmp_path, [("sandbox_jobs", {"since": "1h"}, jobs)])) == {}


def _pydantic_ai(tmp_path: Path, response: dict[str, Any], answer: str) -> Path:
    """pydantic-ai's spans as the OTel SDK writes them: 'agent run', 'chat', 'running tool' with
    ``gen_ai.tool.name``, ``tool_arguments`` and ``tool_response`` (pydantic_ai/_tool_manager.py)."""
    chat = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4.1"}
    tool = {"gen_ai.tool.name": "run_python", "gen_ai.tool.call.id": "call_1", "logfire.msg": "running tool: run_python",
            "tool_arguments": json.dumps({"code": "print(df.net_eur.sum())"}), "tool_response": json.dumps(response)}  # fmt: skip
    rows = [
        sdk_span(0, "agent run", {"agent_name": "revenue_rollup", "model_name": "gpt-4.1", "final_result": answer}, None),
        sdk_span(1, "chat gpt-4.1", chat),
        sdk_span(2, "running tool", tool),
        sdk_span(3, "chat gpt-4.1", chat),
    ]
    path = tmp_path / "pydantic_ai.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def test_pydantic_ai_code_tool_killed_partial_stdout_is_error_as_data(tmp_path: Path) -> None:
    killed = {"exit_code": 137, "signal": "SIGKILL", "oom_killed": True, "memory_limit": "2Gi",
              "stdout": "2026-07 3107822.10\n", "stderr": ""}  # fmt: skip
    assert _found(load(_pydantic_ai(tmp_path, killed, "Q3: EUR 9.4M.")).to_polars()) == {"error_as_data": "0000000000000003"}
    done = {"exit_code": 0, "signal": None, "oom_killed": False, "stdout": "2026-07 3107822.10\n", "stderr": ""}
    assert _found(load(_pydantic_ai(tmp_path, done, "Q3: EUR 9.4M.")).to_polars()) == {}


def _openhands(tmp_path: Path, commands: list[tuple[str, int, str]], final: str) -> Path:
    """An OpenHands trajectory: each ``(command, exit_code, output)`` as CmdRunAction and its
    CmdOutputObservation (extras.metadata.exit_code, openhands/events/observation/commands.py), then finish."""
    events: list[dict[str, Any]] = [
        {"id": 0, "timestamp": "2026-12-03T13:05:00", "source": "user", "message": "Export the reminders and upload them.",
         "action": "message", "args": {"content": "Export the reminders and upload them.", "wait_for_response": False}},
    ]  # fmt: skip
    for n, (cmd, code, out) in enumerate(commands):
        i = 1 + 2 * n
        events += [
            {"id": i, "timestamp": f"2026-12-03T13:06:{10 * n:02d}", "source": "agent", "message": f"Running command: {cmd}",
             "action": "run", "args": {"command": cmd, "is_input": False, "thought": "", "blocking": False},
             "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": f"toolu_{i}",
                                    "model_response": {"id": f"r{i}", "model": "claude-sonnet-4-5",
                                                       "usage": {"prompt_tokens": 6000, "completion_tokens": 80}}}},
            {"id": i + 1, "timestamp": f"2026-12-03T13:06:{10 * n + 5:02d}", "source": "agent", "cause": i,
             "message": f"Command `{cmd}` executed with exit code {code}.", "observation": "run", "content": out,
             "extras": {"command": cmd, "metadata": {"exit_code": code, "pid": -1, "working_dir": "/workspace",
                                                     "prefix": "", "suffix": f"\n[The command completed with exit code {code}.]"}}},
        ]  # fmt: skip
    events.append({"id": 99, "timestamp": "2026-12-03T13:08:00", "source": "agent", "message": final, "action": "finish",
                   "args": {"final_thought": final, "task_completed": "true", "outputs": {}, "thought": ""}})  # fmt: skip
    path = tmp_path / "openhands.json"
    path.write_text(json.dumps(events))
    return path


EXPORT = "python /workspace/migrate/export_reminders.py --out /workspace/out/reminders.csv"
UPLOAD = "curl -sS -X POST https://scheduler.internal/api/v1/imports -H 'Content-Type: text/csv' --data-binary @/workspace/out/reminders.csv"
DONE = "Done. Exported all reminders and the scheduler accepted the import."


def test_openhands_killed_export_then_other_commands_is_swallowed(tmp_path: Path) -> None:
    path = _openhands(tmp_path, [(EXPORT, 137, "fetched batch 6/11 (5000 rows)\nKilled"),
                                 ("wc -l /workspace/out/reminders.csv", 0, "30001 /workspace/out/reminders.csv"),
                                 (UPLOAD, 0, '{"import_id": "imp_1", "status": "accepted", "rows": 30000}')], DONE)  # fmt: skip
    spans = load(path).to_polars()
    ctx = prepare(spans, resolve_policy(None))
    killed = ctx.spans.filter(pl.col("process_killed")).get_column("span_id").to_list()
    assert killed == ["1"]
    assert _found(spans) == {"swallowed_error": "1"}


def test_near_miss_openhands_killed_export_rerun_or_still_running(tmp_path: Path) -> None:
    # The export re-run in smaller batches after the kill (the same program run again), then uploaded.
    rerun = _openhands(tmp_path, [(EXPORT, 137, "fetched batch 6/11 (5000 rows)\nKilled"),
                                  ("cd /workspace && " + EXPORT + " --batch-size 1000", 0, "fetched batch 53/53"),
                                  (UPLOAD, 0, '{"import_id": "imp_1", "status": "accepted", "rows": 52118}')], DONE)  # fmt: skip
    assert _found(load(rerun).to_polars()) == {}
    # Exit code -1: the no-change timeout, the command still running (no verdict, no kill).
    waiting = _openhands(tmp_path, [(EXPORT, -1, "fetched batch 2/11 (5000 rows)")], DONE)
    ctx = prepare(load(waiting).to_polars(), resolve_policy(None))
    assert not ctx.spans.get_column("process_killed").any()
    assert not ctx.spans.get_column("failed").any()


# An answer that says the work ran "with no errors" over a kill that left no output denies a fault;
# it tells none (handling.DENIES_FAULT). The process printed nothing, so there was nothing for the
# answer to find an error in: the kill read as data.
NO_ERRORS = "Done: the reconciliation ran with no errors and the report is in /workspace/out/recon.csv."


def test_killed_with_empty_output_answered_no_errors_is_not_told(tmp_path: Path) -> None:
    e2b = json.dumps({"stderr": "", "stdout": "", "exit_code": 137, "error": None})
    assert _found(_smol(tmp_path, [("run_sandbox_job", SCRIPT, e2b)], NO_ERRORS)) == {"error_as_data": "c300000000000000"}
    # The OpenHands shape: the command's CmdOutputObservation with exit code 137 and no output.
    path = _openhands(tmp_path, [(EXPORT, 137, "")], NO_ERRORS)
    assert _found(load(path).to_polars()) == {"swallowed_error": "1"}


def test_near_miss_kill_told_beside_a_denied_fault(tmp_path: Path) -> None:
    # The answer that says no errors were found in what ran, and tells the kill: told.
    e2b = json.dumps({"stderr": "", "stdout": "", "exit_code": 137, "error": None})
    told = "No errors in the first 3 files, but the scan failed on the rest: the sandbox ran out of memory."
    assert _found(_smol(tmp_path, [("run_sandbox_job", SCRIPT, e2b)], told)) == {}
    path = _openhands(tmp_path, [(EXPORT, 137, "")], "The export failed with exit code 137 (out of memory); no errors before that.")
    assert _found(load(path).to_polars()) == {}

