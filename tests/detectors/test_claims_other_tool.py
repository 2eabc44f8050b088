"""A claim a failed tool's name makes is backed by another tool of the run that did the same act.

Toolkits prefix an act with their app (Composio's APP_ACTION slugs: ``GMAIL_SEND_EMAIL``,
``STRIPE_REFUNDS_CREATE``), MCP hosts with their server (``mcp__github__create_issue``), and an agent
whose first tool fails moves to another one. "I've sent the email" after ``send_email`` failed and
``GMAIL_SEND_EMAIL`` succeeded is backed: the second name holds the same verb and object. Near
misses: nothing else ran; the tool that succeeded names another object (``send_message``), whose
name does not say an email went out.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

ANSWER = "I've sent the email with the invoice to Dana."
ARGS = json.dumps({"to": "dana@acme.example", "subject": "Invoice INV-2231", "body": "attached"})


def _session(second: str | None):
    calls = [span("t2", 4, 5, parent_id="run", kind="tool", tool=second, input=ARGS,
                  output=json.dumps({"id": "18c2f0", "labelIds": ["SENT"]}))] if second else []  # fmt: skip
    return run(
        span("run", 0, 20, kind="chain", name="billing-agent"),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="Email Dana the invoice INV-2231."),
        span("t1", 2, 3, parent_id="run", kind="tool", tool="send_email", input=ARGS, status="error",
             error_type="SMTPAuthenticationError", output="535 5.7.8 authentication failed"),  # fmt: skip
        *calls,
        span("fin", 6, 6.5, parent_id="run", kind="llm", name="final", output=ANSWER),
    )


def test_the_claim_with_no_tool_that_sent_anything_is_unbacked() -> None:
    assert one(_session(None), "claimed_but_not_done")["decisive_span_id"] == "t1"


def test_another_tool_with_the_same_verb_and_object_backs_it() -> None:
    assert "claimed_but_not_done" not in detectors(_session("GMAIL_SEND_EMAIL"))
    assert "claimed_but_not_done" not in detectors(_session("mcp__mail__send_emails"))


def test_near_miss_a_tool_naming_another_object_does_not() -> None:
    assert one(_session("send_message"), "claimed_but_not_done")["decisive_span_id"] == "t1"
