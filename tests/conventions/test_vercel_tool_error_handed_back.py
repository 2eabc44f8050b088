"""Vercel AI SDK 5: an error thrown by a tool's execute goes to the model as a tool-error part.

generateText/streamText turn it into the call's result for the next step ("the AI SDK adds them as
tool-error content parts to enable automated LLM roundtrips in multi-step scenarios", docs: tool
calling, handling errors). The trace shows it as a failed ``ai.toolCall`` span followed by another
model call (``ai.generateText.doGenerate``) of the same generation. AI SDK 4 threw
ToolExecutionError out of generateText instead: no model call followed.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

TOOL = json.dumps({"ai.operationId": "ai.toolCall"})
STEP = json.dumps({"ai.operationId": "ai.generateText.doGenerate"})


def _generation(*, model_again: bool):
    rows = [
        span("gen", 0, 12, kind="chain", name="ai.generateText", status="ok" if model_again else "error",
             output="SSO: set SSO_ENFORCE=true. The live web search timed out; this is from the knowledge base." if model_again else None,
             **({} if model_again else {"error_type": "AI_ToolExecutionError",
                                        "error_message": "Error executing tool searchWeb: The operation was aborted due to timeout"})),
        span("d1", 0.1, 1, parent_id="gen", kind="llm", model="gpt-4o-mini", attributes=STEP,
             output='[{"toolName": "searchWeb"}, {"toolName": "searchKnowledgeBase"}]'),
        span("web", 1.1, 9.1, parent_id="gen", kind="tool", tool="searchWeb", attributes=TOOL, input='{"q": "enforce SAML SSO"}',
             status="error", error_type="TimeoutError", error_message="The operation was aborted due to timeout"),
        span("kb", 1.1, 1.4, parent_id="gen", kind="tool", tool="searchKnowledgeBase", attributes=TOOL,
             input='{"q": "SAML SSO"}', output='{"hits": [{"id": "kb-2231"}]}'),
    ]
    if model_again:
        rows.append(span("d2", 9.2, 11, parent_id="gen", kind="llm", model="gpt-4o-mini", attributes=STEP,
                         output="SSO: set SSO_ENFORCE=true. The live web search timed out; this is from the knowledge base."))
    return run(*rows)


def test_tool_error_the_generation_went_on_from_was_handed_to_the_model() -> None:
    assert "unhandled_error" not in detectors(_generation(model_again=True))


def test_near_miss_tool_error_that_ended_the_generation_is_unhandled() -> None:
    assert one(_generation(model_again=False), "unhandled_error")["decisive_span_id"] == "web"
