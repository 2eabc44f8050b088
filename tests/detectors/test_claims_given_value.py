"""claimed_but_not_done: "I sent the date as 2024-11-3" tells how another call's request carried a value
(a GraphQL query's variable), not that a message went out.

A GraphQL server answers a variable it cannot coerce with HTTP 200, ``"data": null`` and an error
whose ``extensions.code`` is ``BAD_USER_INPUT`` (Apollo Server, apollographql/apollo-server
``packages/server/src/errors``; the GraphQL spec's "Coercing Variable Values" raises a request
error). An OpenAI-style tool-calling assistant calls its query tool with ``{"query", "variables"}``,
reads the error, re-runs the query and tells the user what it had sent. The value after "as" is one
the query call was given; the message-sending tools (the policy claim's ``tool`` pattern) were never
in play. Firing: a value no call was given, and one given to a sending tool's own call."""

from __future__ import annotations

import json

from span_builder import detectors, run, span

Q = "query Due($acct: ID!, $since: Date!) { bills(account: $acct, after: $since) { id amount } }"


def _run(answer: str, first_tool: str = "ledger_graphql", bad: str = "2024-11-3"):
    first = json.dumps({"query": Q, "variables": {"acct": "ACC-3310", "since": bad}})
    again = json.dumps({"query": Q, "variables": {"acct": "ACC-3310", "since": "2024-11-03"}})
    return run(
        span("root", 0, 10, kind="agent", agent="assistant", input="Any bills since 3 November?", output=answer),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output=""),
        span("t1", 2, parent_id="root", kind="tool", tool=first_tool, input=first,
             output=json.dumps({"errors": [{"message": f'Variable "$since" got invalid value "{bad}"',
                                            "extensions": {"code": "BAD_USER_INPUT"}}], "data": None})),
        span("l2", 3, parent_id="root", kind="llm", model="gpt-4o", output=""),
        span("t2", 4, parent_id="root", kind="tool", tool="ledger_graphql", input=again,
             output=json.dumps({"data": {"bills": [{"id": "B-7712", "amount": "410.00"}]}})),
        span("l3", 5, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    )  # fmt: skip


def test_near_miss_the_value_the_query_was_given() -> None:
    answer = "The first query failed (I sent the date as 2024-11-3, which the server rejected), so I ran it again with 2024-11-03. One bill is open: B-7712, 410.00."
    assert "claimed_but_not_done" not in detectors(_run(answer))


def test_a_value_no_call_was_given_backs_nothing() -> None:
    answer = "I sent the reminder as RMD-2024-7 to the account owner. One bill is open: B-7712, 410.00."
    assert "claimed_but_not_done" in detectors(_run(answer))


def test_a_value_a_sending_tool_was_given_is_that_tools_claim() -> None:
    answer = "I sent the reminder as 2024-11-3 to the account owner. One bill is open: B-7712, 410.00."
    assert "claimed_but_not_done" in detectors(_run(answer, first_tool="send_email"))
