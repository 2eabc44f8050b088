"""swallowed_error: a failed tool call is recovered by a later success of another tool named for the
same act (the same verb and object words, claim_acts.same_act).

Toolkits prefix an act with their app (Composio's APP_ACTION slugs: ``GMAIL_SEND_EMAIL``), MCP hosts
with their server (``mcp__gmail__send_email``), and an agent whose first tool fails moves to the
other one, with that tool's own argument names. ``send_email`` failing with an SMTP error, then
``GMAIL_SEND_EMAIL`` sending the mail, is a fallback that worked: nothing was swallowed. Near
misses: the tool that succeeded did another act (``send_message``: another object; a read of the
inbox after the failed send), or it ran before the failure.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span

ANSWER = "Done: I've emailed Dana the invoice INV-2231."
ARGS = json.dumps({"to": "dana@acme.example", "subject": "Invoice INV-2231", "body": "attached"})
OTHER_ARGS = json.dumps({"recipient_email": "dana@acme.example", "subject": "Invoice INV-2231", "body": "attached"})


def _session(second: str | None, at: float = 4) -> list:
    calls = [span("t2", at, at + 1, parent_id="run", kind="tool", tool=second, input=OTHER_ARGS,
                  output=json.dumps({"id": "18c2f0", "labelIds": ["SENT"]}))] if second else []  # fmt: skip
    return run(
        span("run", 0, 20, kind="agent", name="billing-agent", output=ANSWER),
        span("u", 0.5, 0.5, parent_id="run", kind="human", output="Email Dana the invoice INV-2231."),
        span("t1", 2, 3, parent_id="run", kind="tool", tool="send_email", input=ARGS, status="error",
             error_type="SMTPAuthenticationError", error_message="535 5.7.8 authentication failed"),  # fmt: skip
        *calls,
        span("fin", 6, 6.5, parent_id="run", kind="llm", model="gpt-4o", output=ANSWER),
    )


def test_the_failed_send_with_nothing_after_it_is_swallowed() -> None:
    assert "swallowed_error" in detectors(_session(None))


def test_another_tool_named_for_the_same_act_recovers_it() -> None:
    assert "swallowed_error" not in detectors(_session("GMAIL_SEND_EMAIL"))
    assert "swallowed_error" not in detectors(_session("mcp__gmail__send_email"))


def test_near_miss_a_tool_doing_another_act_does_not() -> None:
    assert "swallowed_error" in detectors(_session("send_message"))
    assert "swallowed_error" in detectors(_session("GMAIL_FETCH_EMAILS"))


def test_near_miss_the_same_act_done_before_the_failure_does_not() -> None:
    assert "swallowed_error" in detectors(_session("GMAIL_SEND_EMAIL", at=0.7))
