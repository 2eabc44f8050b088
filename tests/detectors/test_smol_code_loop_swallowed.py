"""swallowed_error: a CodeAgent's own code catches the failed sends of a loop, then answers "all sent".

huggingface/smolagents ``src/smolagents/agents.py`` (``CodeAgent._step_stream``): one model call writes
the code, then ``self.python_executor(code_action)`` runs it; a tool the code calls raises into the
code, and ``try: ... except Exception: pass`` in the model's code catches it, so the step ends OK with
"Execution logs:". Arize-ai/openinference ``python/instrumentation/openinference-instrumentation-
smolagents/src/openinference/instrumentation/smolagents/_wrappers.py``: ``_StepWrapper`` opens
``Step N`` (CHAIN), ``_ModelWrapper`` the model call under it, ``_ToolCallWrapper`` a TOOL span per
``Tool.__call__`` under the step; the exception leaves the tool's ``start_as_current_span`` block, which
records it (status ERROR, an ``exception`` event). The send to the next recipient was written by the
same model output before any send ran: the next item of the loop, not a retry of the failed send
(forensics/detectors/one_action.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from smol_rows import smol_span

from forensics.classify import classify
from forensics.load import load

_TRACE = "5c1900aa11bb22cc33dd44ee55ff6677"
_STEP1, _STEP2 = "a100000000000002", "a100000000000003"
_LOOP = (
    "for addr in recipients:\n    try:\n        send_email(to=addr, subject='Renewal', body='Your plan renews on 1 May.')\n"
    "    except Exception:\n        pass\nprint('done')"
)


def _span(span_id: str, parent: str, name: str, second: int, attrs: dict[str, Any], children: list[Any]) -> dict[str, Any]:
    return smol_span(_TRACE, span_id, parent, name, second, attrs, children, service="renewals")


def _model(span_id: str, parent: str, second: int, content: str) -> dict[str, Any]:
    return _span(span_id, parent, "LiteLLMModel.__call__", second, {
        "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
        "llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": content,
        "output.value": json.dumps({"role": "assistant", "content": content}),
    }, [])  # fmt: skip


def _send(span_id: str, parent: str, second: int, to: str, *, fails: bool) -> dict[str, Any]:
    """A send_email call from the code (``sanitize_inputs_outputs`` False: the executor's call)."""
    span = _span(span_id, parent, "SimpleTool", second, {
        "openinference.span.kind": "TOOL",
        "input.value": json.dumps({"args": [], "sanitize_inputs_outputs": False,
                                   "kwargs": {"to": to, "subject": "Renewal", "body": "Your plan renews on 1 May."}}),
        "tool.name": "send_email", "tool.description": "Sends an e-mail through the company SMTP relay.",
        "tool.parameters": json.dumps({k: {"type": "string", "description": k} for k in ("to", "subject", "body")}),
    }, [])  # fmt: skip
    if fails:
        said = "(451, b'4.3.0 Temporary local problem, try again later')"
        span.update(status_code="Error", status_message=f"SMTPDataError: {said}", events=[{
            "Timestamp": span["timestamp"], "Name": "exception", "Attributes": {
                "exception.type": "SMTPDataError", "exception.message": said, "exception.escaped": "False",
                "exception.stacktrace": f"Traceback (most recent call last):\n  ...\nSMTPDataError: {said}"}}])  # fmt: skip
    else:
        span["span_attributes"].update({"output.value": f"queued for {to}", "output.mime_type": "text/plain"})
    return span


def _run(tmp_path: Path, calls: list[tuple[str, bool]], answer: str, *, resend: list[str] | None = None) -> pl.DataFrame:
    """Step 1: the model writes the loop, the code sends ``calls`` (recipient, fails); optionally a
    second step whose model sends ``resend`` again; then a step that answers ``answer``."""
    sends = [_send(f"c1000000000000{n:02d}", _STEP1, 2 + n, to, fails=bad) for n, (to, bad) in enumerate(calls)]
    steps = [_span(_STEP1, "a100000000000001", "Step 1", 1, {
        "openinference.span.kind": "CHAIN", "output.value": "Execution logs:\ndone\nLast output from code snippet:\nNone",
    }, [_model("b100000000000001", _STEP1, 1, f"Thought: send them all.\nCode:\n```py\n{_LOOP}\n```<end_code>"), *sends])]  # fmt: skip
    if resend:
        again = [_send(f"d1000000000000{n:02d}", _STEP2, 31 + n, to, fails=False) for n, to in enumerate(resend)]
        steps.append(_span(_STEP2, "a100000000000001", "Step 2", 30, {
            "openinference.span.kind": "CHAIN", "output.value": "Execution logs:\nresent\nLast output from code snippet:\nNone",
        }, [_model("b100000000000002", _STEP2, 30, "Thought: three sends failed; I send those again."), *again]))  # fmt: skip
    final = _span("a100000000000009", "a100000000000001", "Step 3", 50, {
        "openinference.span.kind": "CHAIN", "output.value": f"Execution logs:\nLast output from code snippet:\n{answer}",
    }, [_model("b100000000000009", "a100000000000009", 50, f"Code:\n```py\nfinal_answer({answer!r})\n```<end_code>"),
        _span("c100000000000099", "a100000000000009", "FinalAnswerTool", 51, {
            "openinference.span.kind": "TOOL", "tool.name": "final_answer", "output.value": answer,
            "input.value": json.dumps({"args": [answer], "sanitize_inputs_outputs": False, "kwargs": {}})}, [])])  # fmt: skip
    root = _span("a100000000000001", "", "CodeAgent.run", 0, {
        "openinference.span.kind": "AGENT", "smolagents.task": "Send the renewal notice to the 12 customers in recipients.",
        "smolagents.tools_names": ["send_email", "final_answer"], "output.value": answer,
    }, [*steps, final])  # fmt: skip
    path = tmp_path / "smol_renewals.json"
    path.write_text(json.dumps({"trace_id": _TRACE, "spans": [root]}))
    return load(path).to_polars()


_TWELVE = [f"customer{n}@acme.example" for n in range(12)]
_FAILED = {3, 7, 9}


def _loop(failed: set[int] = _FAILED) -> list[tuple[str, bool]]:
    return [(to, n in failed) for n, to in enumerate(_TWELVE)]


def test_sends_the_code_caught_under_an_all_sent_answer_are_swallowed(tmp_path: Path) -> None:
    f = classify(_run(tmp_path, _loop(), "All 12 sent")).to_polars()[0]
    assert f.get_column("detector").to_list() == ["swallowed_error"]
    # The first failed send is decisive; the three failed sends are the evidence.
    assert f.get_column("decisive_span_id").to_list() == ["c100000000000003"]
    assert f.get_column("evidence_span_ids").to_list() == [["c100000000000003", "c100000000000007", "c100000000000009"]]
    assert "3 unrecovered" in f.get_column("explanation")[0]


def test_near_miss_every_send_went_out(tmp_path: Path) -> None:
    assert classify(_run(tmp_path, _loop(set()), "All 12 sent")).to_polars()[0].height == 0


def test_near_miss_the_code_sends_the_same_mail_again_and_it_goes_out(tmp_path: Path) -> None:
    # A retry loop written in the code: the same arguments again within one action are a retry.
    calls = [(to, False) for to in _TWELVE[:3]] + [(_TWELVE[3], True), (_TWELVE[3], False)] + [(to, False) for to in _TWELVE[4:]]
    assert classify(_run(tmp_path, calls, "All 12 sent")).to_polars()[0].height == 0


def test_near_miss_the_next_step_sends_the_failed_three_again(tmp_path: Path) -> None:
    # A new model call decided the resend after reading the step's result: a retry, and it succeeded.
    resend = [_TWELVE[n] for n in sorted(_FAILED)]
    assert classify(_run(tmp_path, _loop(), "All 12 sent", resend=resend)).to_polars()[0].height == 0


def test_near_miss_the_answer_tells_of_the_failed_sends(tmp_path: Path) -> None:
    told = "9 of 12 sent; 3 failed with SMTP 451 (customer3, customer7, customer9)"
    assert classify(_run(tmp_path, _loop(), told)).to_polars()[0].height == 0
