"""A tool that calls a model itself and hands back the provider's response, cut at its output limit.

smolagents records a tool's return value as the tool span's output and the span as OK whatever
the value says (openinference-instrumentation-smolagents ``_wrappers.py`` ``_ToolCallWrapper``:
``response = wrapped(...)``, ``set_status(OK)``, the output value from the response). A tool that
wraps its own completion call and returns the response object hands back the provider's
``finish_reason`` with it: OpenAI's chat completion choice says ``"finish_reason": "length"`` when
the output reached ``max_tokens`` (Anthropic's message ``"stop_reason": "max_tokens"``). The cut
shows only in that output; the agent's own model calls finished normally (TAXONOMY
context_overflow: "the output was cut (finish_reason=length, max_tokens)").

Near misses: the agent ran the same tool again (a larger output budget) and that call finished
with ``stop``; the response finished normally; a cut model call traced under the tool (that model
call is the evidence, and the tool span is no second finding of it).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

TASK = "List every termination clause in contract c-311 with its section number."


def _response(finish: str, completion_tokens: int) -> str:
    # The shape of an OpenAI chat completion the tool reduced to its choice's fields.
    return json.dumps({
        "model": "gpt-4o-mini-2024-07-18",
        "finish_reason": finish,
        "usage": {"prompt_tokens": 9120, "completion_tokens": completion_tokens},
        "content": '{"clauses": [{"section": "14.1", "title": "Termination for convenience"}, {"section": "14.2", "ti',
    })  # fmt: skip


def _rows(*tool_calls: tuple[str, str, int]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        span("root", 0, 60, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", input=TASK,
             output="Contract c-311 has 2 termination clauses: 14.1 and 14.2."),
    ]
    t = 1.0
    for i, (finish, budget, tokens) in enumerate(tool_calls, start=1):
        rows += [
            span(f"s{i}", t, t + 10, parent_id="root", kind="chain", name=f"Step {i}"),
            span(f"m{i}", t + 0.1, t + 2, parent_id=f"s{i}", kind="llm", model="gpt-4o", input_tokens=2400,
                 output_tokens=60, output='r = extract_clauses(document_id="c-311")'),
            span(f"t{i}", t + 2.1, t + 9, parent_id=f"s{i}", kind="tool", tool="extract_clauses",
                 input=json.dumps({"kwargs": {"document_id": "c-311", "max_output_tokens": budget}}),
                 output=_response(finish, tokens)),
        ]
        t += 11
    rows += [
        span("sf", t, t + 3, parent_id="root", kind="chain", name=f"Step {len(tool_calls) + 1}"),
        span("tf", t + 2, t + 2.5, parent_id="sf", kind="tool", tool="final_answer",
             output="Contract c-311 has 2 termination clauses: 14.1 and 14.2."),
    ]
    return rows


def test_a_tool_result_cut_at_the_output_limit_is_an_overflow() -> None:
    f = one(run(*_rows(("length", 0, 256))), "context_overflow")
    assert f["decisive_span_id"] == "t1"
    assert "extract_clauses" in f["explanation"] and "finish reason length" in f["explanation"]


def test_near_miss_the_tool_run_again_and_finished_normally() -> None:
    assert "context_overflow" not in detectors(run(*_rows(("length", 0, 256), ("stop", 4096, 1187))))


def test_near_miss_run_again_and_cut_again_is_still_cut() -> None:
    f = one(run(*_rows(("length", 0, 256), ("length", 512, 512))), "context_overflow")
    assert f["decisive_span_id"] == "t1"


def test_near_miss_a_response_that_finished_normally() -> None:
    assert "context_overflow" not in detectors(run(*_rows(("stop", 0, 180))))


def test_near_miss_the_cut_model_call_traced_under_the_tool_is_the_one_finding() -> None:
    rows = _rows(("length", 0, 256))
    rows.append(span("inner", 3.2, 8.8, parent_id="t1", kind="llm", model="gpt-4o-mini", input_tokens=9120,
                     output_tokens=256, output="{\"clauses\": [", attributes='{"gen_ai.response.finish_reasons": ["length"]}'))
    assert one(run(*rows), "context_overflow")["decisive_span_id"] == "inner"
