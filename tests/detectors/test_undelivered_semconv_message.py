"""An OpenTelemetry GenAI answer with nothing in it is an empty final output.

``gen_ai.output.messages`` is a list of ``{"role", "parts", "finish_reason"}`` (semantic-conventions
gen-ai-output-messages.json), as opentelemetry-instrumentation-openai-v2 writes it on a chat span and
pydantic-ai on its ``invoke_agent`` span. An agent whose closing answer came back with no part, or one
text part with no text, delivered nothing, however cleanly it ended. Near miss: the same message with
text, or with a tool call in it, is an answer or a step.
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span


def _message(parts: list[dict[str, object]]) -> str:
    return json.dumps([{"role": "assistant", "parts": parts, "finish_reason": "stop"}])


def _run(answer: str):
    return run(
        span("root", 0, 10, kind="agent", agent="report_agent", name="invoke_agent report_agent", output=answer),
        span("c1", 0.1, 2, parent_id="root", kind="llm", model="gpt-4o",
             output=_message([{"type": "tool_call", "id": "c", "name": "fetch_sales", "arguments": {"q": "Q3"}}])),
        span("t1", 2.1, 3, parent_id="root", kind="tool", tool="fetch_sales", input='{"q": "Q3"}', output='{"total": 41000}'),
        span("c2", 3.1, 9.9, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )  # fmt: skip


@pytest.mark.parametrize("parts", [[], [{"type": "text", "content": ""}]])
def test_an_output_message_with_no_text_is_an_empty_answer(parts: list[dict[str, object]]) -> None:
    f = one(_run(_message(parts)), "undelivered_output")
    assert f["decisive_span_id"] == "c2"  # the model call that answered nothing


@pytest.mark.parametrize(
    "parts",
    [[{"type": "text", "content": "Q3 sales were $41,000."}],
     [{"type": "tool_call", "id": "c9", "name": "post_report", "arguments": {"total": 41000}}]],
)  # fmt: skip
def test_near_miss_an_output_message_with_text_or_a_call(parts: list[dict[str, object]]) -> None:
    assert "undelivered_output" not in detectors(_run(_message(parts)))
