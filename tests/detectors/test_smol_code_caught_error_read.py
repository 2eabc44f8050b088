"""swallowed_error: a tool error a CodeAgent's own code caught and printed, then acted on in the next step.

huggingface/smolagents ``src/smolagents/agents.py`` (``CodeAgent._step_stream``): the executor runs the
model's code; a tool it calls raises into the code, and ``try: ... except Exception as e: print(..., e)``
keeps the step going, so the step ends OK and its observations are the printed execution logs, which the
next step's model call reads. Arize-ai/openinference ``openinference-instrumentation-smolagents``
``_wrappers.py``: the tool span (``_ToolCallWrapper``) records the exception, status ERROR; the
``Step N`` span stays OK. The error was handed back to the model by the code (conventions
``handled_exceptions``: smol_steps.caught_by_code), and the model went after what it named: a read of the
report the 409 named (conventions ``error_names``; ignored_errors.acted_on_error). Near misses: the same
``try/except`` with ``final_answer`` in the same code (nobody read the error); the error printed and read,
then an answer with no work on it (ignored).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import smol_span

from forensics.classify import classify
from forensics.load import load

_TRACE = "6d2a00aa11bb22cc33dd44ee55ff6678"
_ROOT, _S1, _S2, _S3 = "a200000000000001", "a200000000000002", "a200000000000003", "a200000000000004"
_SAID = '409 Client Error: Conflict for url: https://expenses.example/api/v2/reports - {"detail": "receipts r-1..r-5 already belong to report ER-55102"}'
_SUBMIT = (
    "try:\n    report = submit_expense_report(cost_center='CC-4410', items=ids)\n    print(report)\n"
    "except Exception as e:\n    print('Submission issue:', e)"
)


def _span(span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any], children: list[Any]) -> dict[str, Any]:
    return smol_span(_TRACE, span_id, parent, name, second, attrs, children, service="expenses")


def _model(span_id: str, parent: str, second: int, content: str) -> dict[str, Any]:
    return _span(span_id, parent, "InferenceClientModel.generate", second, {
        "openinference.span.kind": "LLM", "llm.model_name": "Qwen/Qwen2.5-Coder-32B-Instruct",
        "output.value": json.dumps({"role": "assistant", "content": content}),
    }, [])  # fmt: skip


def _tool(span_id: str, parent: str, second: int, tool: str, kwargs: dict[str, Any], result: str | None) -> dict[str, Any]:
    span = _span(span_id, parent, "FinalAnswerTool" if tool == "final_answer" else "SimpleTool", second, {
        "openinference.span.kind": "TOOL", "tool.name": tool,
        "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": False, "kwargs": kwargs}),
    }, [])  # fmt: skip
    if result is None:
        span.update(status_code="Error", status_message=f"HTTPError: {_SAID}", events=[{
            "Timestamp": span["timestamp"], "Name": "exception", "Attributes": {
                "exception.type": "HTTPError", "exception.message": _SAID, "exception.escaped": "False"}}])  # fmt: skip
    else:
        span["span_attributes"]["output.value"] = result
    return span


def _step(sid: str, n: int, second: int, logs: str, children: list[Any]) -> dict[str, Any]:
    return _span(sid, _ROOT, f"Step {n}", second, {
        "openinference.span.kind": "CHAIN", "output.value": f"Execution logs:\n{logs}\nLast output from code snippet:\nNone",
    }, children)  # fmt: skip


def _answer(sid: str, n: int, second: int, answer: str) -> dict[str, Any]:
    return _step(sid, n, second, "", [
        _model(f"b{sid[1:]}", sid, second, f"<code>\nfinal_answer({answer!r})\n</code>"),
        _tool(f"c{sid[1:]}", sid, second + 1, "final_answer", {"answer": answer}, answer)])  # fmt: skip


def _run(tmp_path: Path, shape: str) -> pl.DataFrame:
    submit = _tool("c200000000000002", _S1, 3, "submit_expense_report", {"cost_center": "CC-4410", "items": ["r-1", "r-5"]}, None)
    printed = f"Submission issue: {_SAID}"
    if shape == "same_code":  # final_answer in the code that caught the error
        claim = "Expense report submitted on cost center CC-4410."
        steps = [_step(_S1, 1, 1, printed, [
            _model("b200000000000002", _S1, 1, f"Thought: submit.\n<code>\n{_SUBMIT}\nfinal_answer({claim!r})\n</code>"),
            submit, _tool("c200000000000012", _S1, 4, "final_answer", {"answer": claim}, claim)])]  # fmt: skip
        answer = claim
    else:
        steps = [_step(_S1, 1, 1, printed, [_model("b200000000000002", _S1, 1, f"Thought: submit.\n<code>\n{_SUBMIT}\n</code>"), submit])]
        if shape == "acted":
            found = json.dumps({"report_id": "ER-55102", "state": "SUBMITTED", "items": ["r-1", "r-5"], "submitted_by": "j.weber"})
            steps.append(_step(_S2, 2, 10, found, [
                _model("b200000000000003", _S2, 10, "Thought: they belong to ER-55102; I check it.\n<code>\nprint(get_expense_report(report_id='ER-55102'))\n</code>"),
                _tool("c200000000000003", _S2, 11, "get_expense_report", {"report_id": "ER-55102"}, found)]))  # fmt: skip
            answer = "No new report was created: these receipts were already submitted on 27 Nov as ER-55102 by j.weber."
        else:  # read, nothing done about it
            answer = "Expense report submitted on cost center CC-4410."
        steps.append(_answer(_S3, len(steps) + 1, 20, answer))
    root = _span(_ROOT, "", "CodeAgent.run", 0, {
        "openinference.span.kind": "AGENT", "smolagents.task": "Submit receipts r-1..r-5 as an expense report on CC-4410.",
        "smolagents.tools_names": ["submit_expense_report", "get_expense_report", "final_answer"], "output.value": answer,
    }, steps)  # fmt: skip
    path = tmp_path / "smol_expenses.json"
    path.write_text(json.dumps({"trace_id": _TRACE, "spans": [root]}))
    return load(path).to_polars()


def _detectors(tmp_path: Path, shape: str) -> set[str]:
    return set(classify(_run(tmp_path, shape)).to_polars()[0].get_column("detector").to_list())


def test_error_the_code_printed_and_the_next_step_went_after_is_no_swallowed_error(tmp_path: Path) -> None:
    assert "swallowed_error" not in _detectors(tmp_path, "acted")


def test_near_miss_final_answer_in_the_same_code_or_error_read_and_ignored(tmp_path: Path) -> None:
    f = classify(_run(tmp_path, "same_code")).to_polars()[0]
    assert f.filter(pl.col("detector") == "swallowed_error").get_column("decisive_span_id").to_list() == ["c200000000000002"]
    assert "swallowed_error" in _detectors(tmp_path, "ignored")
