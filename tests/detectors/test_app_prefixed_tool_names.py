"""A tool named with its app before the verb (mcp-atlassian's ``jira_transition_issue``,
``jira_add_comment``; Composio's ``GMAIL_SEND_EMAIL``) reads by the verb after the app.

Read verb-first, every Jira tool had the verb "jira": a transition the OpenAI Agents SDK's default
failure_error_function handed back to the model ("An error occurred while running the tool. Please
try again. Error: ...", src/agents/tool.py default_tool_error_function) looked redone by the
comment the model added next, and the answer "PAY-2291 is now closed" swallowed it.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

from forensics.detectors.claim_vocabulary import tool_verb_object

_ERR = ("An error occurred while running the tool. Please try again. Error: Error invoking MCP tool "
        "jira_transition_issue on server 'mcp-atlassian': Transition 'Done' is not valid for PAY-2291")


def test_the_app_before_the_verb_is_no_verb() -> None:
    assert tool_verb_object("jira_transition_issue") == ("transition", ["issue"])
    assert tool_verb_object("GMAIL_SEND_EMAIL") == ("send", ["email"])
    assert tool_verb_object("slack_post_message") == ("post", ["message"])


def test_near_miss_a_verb_first_name_keeps_its_verb() -> None:
    assert tool_verb_object("send_email") == ("send", ["email"])
    assert tool_verb_object("get_order_status") == ("get", ["order", "status"])
    # Neither word a verb of the list: read verb-first as before.
    assert tool_verb_object("order_refund_status") == ("order", ["refund", "status"])


def _ticket(retried: bool, answer: str) -> list[dict[str, object]]:
    rows = [
        span("root", 0, 30, kind="agent", name="Ticket Assistant", agent="Ticket Assistant"),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4.1", agent="Ticket Assistant"),
        span("t1", 2, parent_id="root", kind="tool", tool="jira_transition_issue", agent="Ticket Assistant",
             input='{"issue_key": "PAY-2291", "transition": "Done"}', status="error",
             error_message="Error running tool (non-fatal)", output=_ERR),
        span("l2", 4, parent_id="root", kind="llm", model="gpt-4.1", agent="Ticket Assistant"),
        span("t2", 5, parent_id="root", kind="tool", tool="jira_add_comment", agent="Ticket Assistant",
             input='{"issue_key": "PAY-2291", "comment": "Fix verified on staging."}', output='{"id": "184223"}'),
    ]
    if retried:
        rows.append(span("t3", 6, parent_id="root", kind="tool", tool="jira_transition_issue", agent="Ticket Assistant",
                         input='{"issue_key": "PAY-2291", "transition": "Close Issue"}', output='{"status": "Closed"}'))
    rows.append(span("l3", 9, parent_id="root", kind="llm", model="gpt-4.1", agent="Ticket Assistant", output=answer))
    return rows


_CLOSED = "Done: PAY-2291 is now closed and I added the note that the fix was verified on staging."


def test_a_failed_transition_then_a_comment_and_a_claim_of_closing_is_swallowed() -> None:
    assert one(run(*_ticket(retried=False, answer=_CLOSED)), "swallowed_error")["decisive_span_id"] == "t1"


def test_near_miss_the_transition_was_redone_with_a_valid_transition() -> None:
    assert "swallowed_error" not in detectors(run(*_ticket(retried=True, answer=_CLOSED)))
