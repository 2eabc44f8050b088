"""A refund the payment tool refused, told to the customer with what happens next: not swallowed.

The OpenTelemetry GenAI conventions record a tool call as an ``execute_tool {gen_ai.tool.name}``
span, ``error.type`` and an error status when it failed (open-telemetry/semantic-conventions
docs/gen-ai/gen-ai-spans.md, "Execute tool span"), under the ``invoke_agent`` span whose output is
the answer. The refund API refused an amount over the agent's limit; the agent answered that the
refund is pending a manager's approval, or that it escalated it: it told the customer the refund
did not happen and where it stands. swallowed_error read the answer as a reported success.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

A = {"agent": "support", "parent_id": "root"}
REFUSED = {"status": "error", "error_type": "PermissionDenied", "error_message": "Refunds over $50 require manager approval"}


def _rows(answer: str) -> list[dict[str, Any]]:
    return [
        span("root", 0, 9, kind="agent", agent="support", name="invoke_agent support",
             input="Please refund order 5531, it arrived broken.", output=answer),
        span("l1", 0.5, 2, kind="llm", model="gpt-4o", **A, output='{"tool_calls": [{"name": "issue_refund"}]}'),
        span("t1", 2, 3, kind="tool", tool="issue_refund", name="execute_tool issue_refund", **A,
             input=json.dumps({"order_id": "5531", "amount": 89.0}), output=REFUSED["error_message"], **REFUSED),
        span("l2", 3.5, 8.5, kind="llm", model="gpt-4o", **A, output=answer),
    ]  # fmt: skip


def test_near_miss_the_refusal_told_with_the_next_step() -> None:
    for answer in (
        "Your refund of $89 for order 5531 is pending manager approval; you'll hear from us within 24 hours.",
        "I've escalated your refund request for order 5531 to a manager, who will review it today.",
        "This refund needs a supervisor's approval, so I forwarded it to our billing team.",
        "A specialist will review the refund for order 5531 and contact you by email.",
    ):
        assert "swallowed_error" not in detectors(run(*_rows(answer))), answer


def test_an_answer_silent_on_the_refusal_or_calling_it_done_swallowed_it() -> None:
    for answer in (
        "Thanks for your patience! Is there anything else I can help with?",
        # A bare "pending" says the refund is on its way: the refusal read as a success.
        "Your refund of $89 is pending and will reach your card in 5 business days.",
        "Your refund of $89 for order 5531 has been processed.",
    ):
        assert one(run(*_rows(answer)), "swallowed_error")["decisive_span_id"] == "t1", answer
