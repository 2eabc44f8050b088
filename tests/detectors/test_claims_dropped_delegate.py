"""The work of a delegate that never ran, said done by the agent that answered (claim_delegates).

OpenAI Swarm's handle_tool_calls (swarm/core.py) keeps ``partial_response.agent = result.agent`` of
the last tool call that returned an Agent: of transfer_to_refunds and transfer_to_sales in one
response only Sales Agent runs. The OpenAI Agents SDK's execute_handoffs (src/agents/_run_impl.py)
runs only the first of several handoffs. The agent that answers then reports the dropped agent's
part as done.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _parallel_transfers(answer: str, refunds_ran: bool = False, refund_tool: bool = False) -> list[dict[str, object]]:
    rows = [
        span("root", 0, 20, kind="chain", name="conversation"),
        span("u", 0.5, parent_id="root", kind="human", output="I was charged twice and I want 12 seats instead of 5."),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", agent="Triage Agent"),
        span("h_ref", 2, parent_id="l1", kind="handoff", name="transfer_to_refunds", agent="Triage Agent",
             handoff_to="Refunds Agent", output='{"assistant": "Refunds Agent"}'),
        span("h_sales", 2.1, parent_id="l1", kind="handoff", name="transfer_to_sales", agent="Triage Agent",
             handoff_to="Sales Agent", output='{"assistant": "Sales Agent"}'),
        span("l2", 3, parent_id="root", kind="llm", model="gpt-4o", agent="Sales Agent"),
        span("t1", 4, parent_id="l2", kind="tool", tool="update_seats", agent="Sales Agent",
             input='{"seats": 12}', output='{"seats": 12, "status": "active"}'),
    ]
    if refund_tool:
        rows.append(span("t2", 5, parent_id="l2", kind="tool", tool="issue_refund", agent="Sales Agent",
                         input='{"charge": "ch_2"}', output='{"status": "succeeded"}'))
    if refunds_ran:
        rows.append(span("l_ref", 2.5, parent_id="root", kind="llm", model="gpt-4o", agent="Refunds Agent",
                         output="Looking into the duplicate charge."))
    rows.append(span("l3", 8, parent_id="root", kind="llm", model="gpt-4o", agent="Sales Agent", output=answer))
    return rows


_CLAIMED = "All done! You now have 12 seats, and the duplicate charge from this month has been refunded to your card."


def test_the_dropped_refunds_agent_s_work_said_done_is_claimed_but_not_done() -> None:
    c = run(*_parallel_transfers(_CLAIMED))
    hit = one(c, "claimed_but_not_done")
    assert hit["decisive_span_id"] == "h_ref"
    assert "dangling_handoff" in detectors(c)


def test_near_miss_the_refunds_agent_did_run() -> None:
    assert "claimed_but_not_done" not in detectors(run(*_parallel_transfers(_CLAIMED, refunds_ran=True)))


def test_near_miss_a_refund_tool_of_the_run_did_the_work() -> None:
    assert "claimed_but_not_done" not in detectors(run(*_parallel_transfers(_CLAIMED, refund_tool=True)))


def test_near_miss_passing_the_case_on_is_no_claim_of_the_work() -> None:
    said = "You now have 12 seats. Your refund request has been forwarded to our refunds team."
    assert "claimed_but_not_done" not in detectors(run(*_parallel_transfers(said)))


def test_near_miss_a_refund_still_to_come_is_no_claim() -> None:
    said = "You now have 12 seats. Once the refund is processed you will get an email."
    assert "claimed_but_not_done" not in detectors(run(*_parallel_transfers(said)))


def _multiple_handoffs(answer: str) -> list[dict[str, object]]:
    # The Agents SDK's handoff span for the first of two handoffs, with the SpanError it records.
    data = '{"@error_data": {"requested_agents": ["Billing Agent", "Returns Agent"]}}'
    return [
        span("tri", 0, 3, kind="agent", name="Triage Agent", agent="Triage Agent"),
        span("g1", 0.5, parent_id="tri", kind="llm", model="gpt-4.1", agent="Triage Agent"),
        span("h1", 2, parent_id="tri", kind="handoff", agent="Triage Agent", handoff_to="Billing Agent",
             status="error", error_message="Multiple handoffs requested", attributes=data),
        span("bil", 3.1, 10, kind="agent", name="Billing Agent", agent="Billing Agent"),
        span("t1", 4, parent_id="bil", kind="tool", tool="lookup_invoice", agent="Billing Agent",
             input='{"invoice": "INV-1"}', output='{"status": "paid"}'),
        span("g2", 8, parent_id="bil", kind="llm", model="gpt-4.1", agent="Billing Agent", output=answer),
    ]


def test_the_first_of_two_handoffs_taken_and_the_return_said_set_up() -> None:
    said = "Invoice INV-1 is paid, and your return for the keyboard is set up: the return label has been emailed to you."
    assert one(run(*_multiple_handoffs(said)), "claimed_but_not_done")["decisive_span_id"] == "h1"


def test_near_miss_the_answer_says_the_return_is_still_to_be_handled() -> None:
    said = "Invoice INV-1 is paid. For the keyboard, please reply and we will start a return."
    assert "claimed_but_not_done" not in detectors(run(*_multiple_handoffs(said)))


_MANAGED = (
    '{"openinference.span.kind": "AGENT", "smolagents.max_steps": "20", "smolagents.tools_names": "[\\"final_answer\\"]", '
    '"smolagents.managed_agents.0.name": "search_agent", '
    '"smolagents.managed_agents.0.description": "This is an agent that can do web search."}'
)


def _manager(answer: str, delegated: bool, roster: bool = True) -> list[dict[str, object]]:
    # A smolagents CodeAgent manager as OpenInference traces it: its managed agents on the run span
    # (smolagents.managed_agents.<i>.name), a managed agent's run nested in the step that called it.
    rows = [
        span("run", 0, 10, kind="agent", name="CodeAgent.run", agent="CodeAgent.run", output=answer,
             attributes=_MANAGED if roster else '{"openinference.span.kind": "AGENT"}'),
        span("s1", 0.1, 9, parent_id="run", kind="chain", name="Step 1", agent="CodeAgent.run"),
        span("g1", 0.2, 2, parent_id="s1", kind="llm", model="o3-mini", agent="CodeAgent.run",
             output="Thought: I know this.\nCode:\n```py\nfinal_answer(...)\n```"),
    ]
    if delegated:
        rows += [
            span("sub", 2.5, 7, parent_id="s1", kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent.run",
                 output="The Knicks are 41-23."),
            span("ws", 3, 5, parent_id="sub", kind="tool", tool="web_search", agent="ToolCallingAgent.run",
                 input='{"query": "Knicks record"}', output="Knicks 41-23, third in the East"),
        ]
    rows.append(span("fa", 8, parent_id="s1", kind="tool", tool="final_answer", agent="CodeAgent.run",
                     input='{"answer": "..."}', output=answer))
    return rows


_RETRIEVED = "According to the latest standings my search agent retrieved, the Knicks are 41-23 this season."


def test_a_manager_that_never_delegated_says_its_search_agent_retrieved() -> None:
    assert "claimed_but_not_done" in detectors(run(*_manager(_RETRIEVED, delegated=False)))


def test_near_miss_the_search_agent_did_run() -> None:
    assert "claimed_but_not_done" not in detectors(run(*_manager(_RETRIEVED, delegated=True)))


def test_near_miss_no_managed_agent_on_the_run_span() -> None:
    assert "claimed_but_not_done" not in detectors(run(*_manager(_RETRIEVED, delegated=False, roster=False)))


def test_near_miss_the_manager_says_it_answered_without_its_search_agent() -> None:
    said = "I did not ask my search agent; from what I know the Knicks were 41-23 at last count."
    assert "claimed_but_not_done" not in detectors(run(*_manager(said, delegated=False)))


_CONFIRMED = "The three most recent CVEs are CVE-2024-56326, CVE-2024-34064 and CVE-2024-22195. These were confirmed against the NVD."


def test_a_manager_whose_team_never_ran_says_it_confirmed_against_a_source() -> None:
    assert "claimed_but_not_done" in detectors(run(*_manager(_CONFIRMED, delegated=False)))


def test_near_miss_the_manager_looked_it_up_with_its_own_tool() -> None:
    rows = _manager(_CONFIRMED, delegated=False)
    rows.insert(3, span("own", 2.5, 4, parent_id="s1", kind="tool", tool="web_search", agent="CodeAgent.run",
                        input='{"query": "jinja2 CVE"}', output="CVE-2024-56326 ... CVE-2024-22195"))
    assert "claimed_but_not_done" not in detectors(run(*rows))


def test_a_status_read_of_the_work_does_not_back_it() -> None:
    # The Sales Agent looked the refund up (a read): it did not refund anything.
    rows = _parallel_transfers(_CLAIMED)
    rows.insert(-1, span("t3", 5, parent_id="l2", kind="tool", tool="get_refund_status", agent="Sales Agent",
                         input='{"charge": "ch_2"}', output='{"refund": null, "status": "none"}'))  # fmt: skip
    assert one(run(*rows), "claimed_but_not_done")["decisive_span_id"] == "h_ref"
