"""ownership_gap detectors on small inline tables: one that fires, one near-miss each."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from span_builder import detectors, one, run, run_row, span

from forensics.policy import load_policy


def test_dangling_handoff_fires_when_the_target_never_starts() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="triage", output="Billing will handle your refund."),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o"),
        # A transfer_to_<agent> tool call is a handoff in every framework that writes one.
        span("h1", 2, parent_id="root", kind="tool", tool="transfer_to_billing", input="{}"),
    )
    f = one(c, "dangling_handoff")
    assert f["failure_class"] == "ownership_gap"
    assert f["decisive_span_id"] == "h1"
    assert f["evidence_span_ids"] == ["h1"]
    assert "triage handed off to billing at 02:13:02" in f["explanation"]
    # One lost handoff, one finding: not reported again as undelivered output.
    assert "undelivered_output" not in detectors(c)
    assert run_row(c)["decisive_span_id"] == "h1"


def test_dangling_handoff_near_miss_target_picks_it_up() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="triage", output="Billing voided the duplicate invoice."),
        span("h1", 2, parent_id="root", kind="handoff", handoff_to="Billing Agent"),
        span("b1", 3, 6, parent_id="root", kind="agent", name="billing_agent"),
        span(
            "t1",
            4,
            parent_id="b1",
            kind="tool",
            tool="invoices.void",
            input='{"id": 3}',
            output='{"voided":true}',
        ),
    )
    assert "dangling_handoff" not in detectors(c)
    assert run_row(c)["ok"]


def _escalation_run(ack_at: float | None, end: float):
    return run(*_escalation_run_rows(ack_at, end))


def _escalation_run_rows(ack_at: float | None, end: float) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, end, kind="agent", name="incident_responder", output="Paged on-call."),
        span(
            "p1",
            1,
            parent_id="root",
            kind="tool",
            tool="pagerduty.page_oncall",
            input='{"svc":"pay"}',
            output='{"status":"triggered"}',
        ),
    ]
    if ack_at is not None:
        rows.append(
            span(
                "a1",
                ack_at,
                parent_id="root",
                kind="unknown",
                name="incident.acknowledged",
                attributes='{"enduser.id": "priya.s"}',
            )
        )
    return rows


#: A deployment's policy that sets a 15-minute acknowledgement SLA (the shipped one sets none).
SLA_900 = dataclasses.replace(load_policy(), escalation_sla_seconds=900.0)


def test_unacknowledged_escalation_fires_when_the_log_ends_without_an_ack() -> None:
    f = one(_escalation_run(None, 61), "unacknowledged_escalation")
    assert f["decisive_span_id"] == "p1"
    assert "pagerduty.page_oncall at 02:13:01" in f["explanation"]
    assert f["explanation"].endswith("before the log ended 60.0 s later")
    c = run(*_escalation_run_rows(None, 61), policy=SLA_900)
    assert "before the log ended 60.0 s later (SLA 900.0 s)" in one(c, "unacknowledged_escalation")["explanation"]


def test_unacknowledged_escalation_fires_on_an_ack_past_the_sla() -> None:
    c = run(*_escalation_run_rows(1001, 1005), policy=SLA_900)
    f = one(c, "unacknowledged_escalation")
    assert "first acknowledgement came 1000.0 s later, past the 900.0 s SLA" in f["explanation"]


def test_unacknowledged_escalation_near_miss_ack_within_sla() -> None:
    c = run(*_escalation_run_rows(181, 185), policy=SLA_900)
    assert "unacknowledged_escalation" not in detectors(c)
    assert run_row(c)["ok"]


def test_a_late_ack_is_not_judged_without_an_sla_someone_stated() -> None:
    """The shipped policy sets no acknowledgement SLA and the page's result states no deadline:
    acknowledged 1000 s later, it was acknowledged (no invented 900 s)."""
    assert "unacknowledged_escalation" not in detectors(_escalation_run(1001, 1005))


def _incident_with_deadline(ack_at: float, due: str):
    """A ServiceNow incident opened with its own deadline (the task's ``sla_due``, a glide_date_time
    the Table API returns as ``YYYY-MM-DD HH:MM:SS`` UTC) and read back assigned at ``ack_at``."""
    filed = {"number": "INC0012345", "state": "New", "assignment_group": "Service Desk", "assigned_to": "", "sla_due": due}
    taken = {"number": "INC0012345", "state": "In Progress", "assigned_to": "Ana Ruiz"}
    return run(
        span("root", 0, ack_at + 5, kind="agent", name="desk_agent", output="Opened INC0012345."),
        span("c1", 1, parent_id="root", kind="tool", tool="create_incident", input='{"short_description":"VPN down"}',
             output=json.dumps(filed)),
        span("g1", ack_at, parent_id="root", kind="tool", tool="get_incident", input='{"number":"INC0012345"}',
             output=json.dumps(taken)),
    )  # fmt: skip


def test_an_ack_past_the_deadline_the_record_states_is_late() -> None:
    # The run starts at 02:13:00 UTC (span_builder); the record is due at 02:30, taken at 02:46.
    f = one(_incident_with_deadline(2000, "2024-01-01 02:30:00"), "unacknowledged_escalation")
    assert "past its record's deadline 2024-01-01 02:30:00" in f["explanation"]


def test_near_miss_ack_before_the_recorded_deadline_or_a_deadline_before_the_record() -> None:
    assert "unacknowledged_escalation" not in detectors(_incident_with_deadline(2000, "2024-01-01 03:30:00"))
    # A deadline before the incident was opened (a field carried over) is none it was given.
    assert "unacknowledged_escalation" not in detectors(_incident_with_deadline(2000, "2023-12-28 20:00:00"))


# An incident a tool opened, as PagerDuty reports it (REST API v2: POST /incidents answers the
# incident object with status "triggered"; GET/PUT answer it again with "acknowledged" or
# "resolved"; Events API v2: event_action trigger/acknowledge/resolve with one dedup_key). The tool
# name says nothing the escalation patterns know: the incident state does.
_OPENED = '{"incident": {"id": "PT4KHLK", "type": "incident", "incident_number": 1234, "status": "triggered", "urgency": "high"}}'


def _incident_run(*later: dict[str, object], end: float = 7200):
    return run(
        span("root", 0, end, kind="agent", name="sre_agent", output="I opened a high-urgency incident for on-call."),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output="create it"),
        span("c1", 2, parent_id="root", kind="tool", tool="create_incident",
             input='{"service": "PWNSWLV", "urgency": "high", "title": "checkout 5xx at 9%"}', output=_OPENED),
        *later,
    )


def test_unacknowledged_escalation_fires_on_an_incident_a_tool_opened_and_nobody_acknowledged() -> None:
    c = _incident_run(
        # The agent looked again: still triggered. A report of the same incident is not a new one.
        span("g1", 60, parent_id="root", kind="tool", tool="get_incident", input='{"id": "PT4KHLK"}',
             output=_OPENED),
    )
    f = one(c, "unacknowledged_escalation")
    assert f["decisive_span_id"] == "c1"
    assert "tool create_incident at 02:13:02 and nobody acknowledged it before the log ended" in f["explanation"]
    assert run_row(c)["primary_class"] == "ownership_gap"


def test_unacknowledged_escalation_near_miss_the_same_incident_acknowledged_later() -> None:
    acked = _OPENED.replace('"triggered"', '"acknowledged"')
    c = _incident_run(span("g1", 240, parent_id="root", kind="tool", tool="get_incident",
                           input='{"id": "PT4KHLK"}', output=acked))
    assert "unacknowledged_escalation" not in detectors(c)


def test_unacknowledged_escalation_another_incident_acknowledged_is_no_acknowledgement() -> None:
    other = _OPENED.replace('"PT4KHLK"', '"Q0OTHER"').replace('1234', '1187').replace('"triggered"', '"resolved"')
    c = _incident_run(span("g1", 240, parent_id="root", kind="tool", tool="get_incident",
                           input='{"id": "Q0OTHER"}', output=other))
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "c1"


def _events_api(*actions: str):
    # PagerDuty Events API v2: POST /v2/enqueue {routing_key, event_action, dedup_key, payload};
    # the answer is {"status": "success", "message": "Event processed", "dedup_key": ...}.
    rows = [span("root", 0, 3600, kind="agent", name="monitor", output="Alert sent.")]
    for i, action in enumerate(actions):
        rows.append(span(f"e{i}", 1 + 300 * i, parent_id="root", kind="tool", tool="send_event",
                         input=f'{{"routing_key": "R0123", "event_action": "{action}", "dedup_key": "db-42/disk"}}',
                         output='{"status": "success", "message": "Event processed", "dedup_key": "db-42/disk"}'))
    return run(*rows)


def test_unacknowledged_escalation_fires_on_an_events_api_trigger_left_open() -> None:
    assert one(_events_api("trigger"), "unacknowledged_escalation")["decisive_span_id"] == "e0"


def test_unacknowledged_escalation_near_miss_events_api_trigger_then_acknowledge() -> None:
    assert "unacknowledged_escalation" not in detectors(_events_api("trigger", "acknowledge"))


# A helpdesk ticket an escalation opened (Zendesk Tickets API: a new ticket is "new" until an agent
# takes it), read back later by the run: the record says who took it up and when (acknowledged_at),
# or that it was solved.
def _ticket_run(read_back: str, end: float = 610, looked_up: str = "ZD-448120"):
    return run(
        span("root", 0, end, kind="agent", name="returns_agent", output="Collection booked for Friday."),
        span("e1", 2, parent_id="root", kind="tool", tool="escalate_to_human",
             input='{"order_id": "MF-1", "reason": "damaged item"}',
             output='{"ticket": "ZD-448120", "queue": "furniture-returns", "status": "new"}'),
        span("g1", 600, parent_id="root", kind="tool", tool="get_ticket", input=f'{{"ticket": "{looked_up}"}}',
             output=read_back),
    )


def test_unacknowledged_escalation_near_miss_the_ticket_read_back_acknowledged() -> None:
    acked = '{"ticket": "ZD-448120", "status": "open", "assignee": "r.osei", "acknowledged_at": "2026-11-26T16:44:12Z"}'
    assert "unacknowledged_escalation" not in detectors(_ticket_run(acked))
    solved = '{"ticket": "ZD-448120", "status": "solved", "assignee": "r.osei"}'
    assert "unacknowledged_escalation" not in detectors(_ticket_run(solved))


def test_unacknowledged_escalation_fires_on_a_ticket_read_back_untaken() -> None:
    # Read back still new (acknowledged_at null), or another ticket acknowledged: nobody took it up.
    untaken = '{"ticket": "ZD-448120", "status": "new", "assignee": null, "acknowledged_at": null}'
    assert one(_ticket_run(untaken), "unacknowledged_escalation")["decisive_span_id"] == "e1"
    other = '{"ticket": "ZD-448777", "status": "open", "acknowledged_at": "2026-11-26T16:44:12Z"}'
    assert one(_ticket_run(other, looked_up="ZD-448777"), "unacknowledged_escalation")["decisive_span_id"] == "e1"


def test_a_ticket_status_is_not_an_incident() -> None:
    # A status word without any incident or alert in sight is not read as one.
    c = run(
        span("root", 0, 10, kind="agent", name="helpdesk", output="Your request is in."),
        span("t1", 1, parent_id="root", kind="tool", tool="get_job", input='{"job": 7}',
             output='{"job": 7, "status": "triggered"}'),
    )
    assert "unacknowledged_escalation" not in detectors(c)


def test_orphan_failure_fires_on_an_error_outside_every_agent() -> None:
    c = run(
        span("root", 0, 10, kind="chain", name="POST /refunds", status="error"),
        span("ag", 1, 3, parent_id="root", kind="agent", name="refund_agent"),
        span(
            "w1",
            4,
            parent_id="root",
            kind="tool",
            tool="ledger.write",
            input="{}",
            status="error",
            error_type="IntegrityError",
        ),
    )
    f = one(c, "orphan_failure")
    assert f["decisive_span_id"] == "w1"
    assert "ledger.write failed with IntegrityError at 02:13:04 outside any agent" in f["explanation"]
    assert "unhandled_error" in detectors(c)


def test_orphan_failure_near_miss_error_owned_by_an_agent() -> None:
    c = run(
        span("root", 0, 10, kind="chain", name="POST /refunds", status="error"),
        span("ag", 1, 6, parent_id="root", kind="agent", name="refund_agent", status="error"),
        span(
            "w1",
            4,
            parent_id="ag",
            kind="tool",
            tool="ledger.write",
            input="{}",
            status="error",
            error_type="IntegrityError",
        ),
    )
    assert "orphan_failure" not in detectors(c)


def test_limbo_fires_when_an_open_run_ends_on_a_handoff() -> None:
    c = run(
        span("root", 0, None, kind="agent", name="travel_planner"),
        span("f1", 1, parent_id="root", kind="tool", tool="flights.hold", input="{}", output='{"hold":"H1"}'),
        span("h1", 2, parent_id="root", kind="handoff", handoff_to="hotel_agent"),
    )
    f = one(c, "limbo")
    assert f["decisive_span_id"] == "h1"
    assert "never reached a terminal state" in f["explanation"]
    assert "a handoff to hotel_agent at 02:13:02" in f["explanation"]
    assert {"dangling_handoff", "stall"} <= detectors(c)
    row = run_row(c)
    assert row["reported_outcome"] == "open"
    assert row["end_time"] is None
    # Ties at the same decisive span go to the more severe finding (limbo/dangling: high; stall: medium).
    assert row["primary_class"] == "ownership_gap"


def test_limbo_near_miss_run_that_ended() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="travel_planner", output="Flights held; hotel booked."),
        span("h1", 2, parent_id="root", kind="handoff", handoff_to="hotel_agent"),
        span("ha", 3, 5, parent_id="root", kind="agent", name="hotel_agent"),
    )
    assert "limbo" not in detectors(c)
    assert run_row(c)["ok"]


def _untimed_escalation(acked: bool) -> list[dict]:
    rows = [
        span("root", None, None, kind="agent", name="support", agent="support"),
        span(
            "e1", None, None, parent_id="root", kind="tool", tool="escalate_to_human", input='{"ticket": 9}'
        ),
    ]
    if acked:
        rows.append(span("h1", None, None, parent_id="root", kind="human", name="agent_jo", output="On it."))
    return rows


def test_unacknowledged_escalation_fires_without_times_when_nobody_answers() -> None:
    f = one(run(*_untimed_escalation(False)), "unacknowledged_escalation")
    assert f["decisive_span_id"] == "e1"


def test_unacknowledged_escalation_near_miss_without_times_a_person_answers_after_it() -> None:
    # No clock to measure the delay: the acknowledgement coming after it in the run is enough.
    assert "unacknowledged_escalation" not in detectors(run(*_untimed_escalation(True)))


def test_orphan_failure_near_miss_an_error_handed_back_to_the_model() -> None:
    c = run(
        span("root", 0, 10, kind="chain", name="POST /refunds"),
        span("ag", 1, 3, parent_id="root", kind="agent", name="refund_agent"),
        span(
            "w1",
            4,
            parent_id="root",
            kind="tool",
            tool="ledger.write",
            status="error",
            error_message="Error running tool (non-fatal)",
        ),
    )
    assert "orphan_failure" not in detectors(c)


def test_orphan_failure_near_miss_a_recursion_limit_stopping_the_graph() -> None:
    c = run(
        span(
            "root",
            0,
            10,
            kind="chain",
            name="LangGraph",
            status="error",
            error_type="GraphRecursionError",
            error_message="Recursion limit of 25 reached without hitting a stop condition.",
        ),
        span("ag", 1, 3, parent_id="root", kind="agent", name="po_agent"),
    )
    assert "orphan_failure" not in detectors(c)


# --- dropped_delegation: a smolagents manager calls its managed agent from a step -------------


def _delegation(
    sub: dict[str, object], *after: dict[str, object], root_status: str = "ok"
) -> list[dict[str, object]]:
    return [
        span("root", 0, 30, kind="agent", name="CodeAgent.run", status=root_status, output="Norrström"),
        span("s1", 1, 10, parent_id="root", kind="chain", name="Step 1"),
        span("l1", 1.2, parent_id="s1", kind="llm", model="gpt-4o", output="report = search_agent(task=...)"),
        span("sub", 2, 9, parent_id="s1", kind="agent", **{"name": "ToolCallingAgent.run", **sub}),
        span("ss", 2.5, 8, parent_id="sub", kind="chain", name="Step 1"),
        span(
            "w1",
            3,
            parent_id="ss",
            kind="tool",
            tool="web_search",
            input='{"query": "Eurovision 2023"}',
            output="Sweden won.",
        ),
        span("s2", 11, 20, parent_id="root", kind="chain", name="Step 2"),
        span("l2", 11.2, parent_id="s2", kind="llm", model="gpt-4o", output="final_answer('Norrström')"),
        *after,
        span(
            "fa",
            19,
            parent_id="s2",
            kind="tool",
            tool="final_answer",
            input='{"answer": "Norrström"}',
            output="Norrström",
        ),
    ]


CRASHED = {
    "status": "error",
    "error_type": "AgentGenerationError",
    "error_message": "Error in generating model output",
}


def test_dropped_delegation_fires_when_the_managed_run_fails_and_nobody_takes_it_up() -> None:
    c = run(*_delegation(CRASHED))
    f = one(c, "dropped_delegation")
    assert f["failure_class"] == "ownership_gap"
    assert f["decisive_span_id"] == "sub"
    assert "CodeAgent.run delegated work to ToolCallingAgent.run at 02:13:02" in f["explanation"]
    assert "failed with AgentGenerationError" in f["explanation"]


# smolagents' managed_agent.task template (src/smolagents/prompts/code_agent.yaml), as the managed
# run span's input: MultiStepAgent.__call__ wraps the manager's request in it and calls run().
MANAGED_TASK = (
    '{"task": "You\'re a helpful agent named \'search_agent\'.\\nYou have been submitted this task by your '
    'manager.\\n---\\nTask:\\nWho won Eurovision 2023?\\n---", "stream": false, "reset": true}'
)


def test_dropped_delegation_sees_a_code_agent_managing_a_code_agent_by_its_managed_name() -> None:
    # Both run spans are named CodeAgent.run (OpenInference _RunWrapper names them by class): the
    # managed one is told apart by the name its manager gave it in the task.
    rows = _delegation({**CRASHED, "name": "CodeAgent.run", "input": MANAGED_TASK})
    f = one(run(*rows), "dropped_delegation")
    assert f["decisive_span_id"] == "sub"
    assert "CodeAgent.run delegated work to search_agent at 02:13:02" in f["explanation"]


def test_dropped_delegation_near_miss_a_same_named_nested_run_without_a_managed_task() -> None:
    # The same nesting with no managed-agent task: nothing says it is another agent, so no delegation.
    rows = _delegation({**CRASHED, "name": "CodeAgent.run", "input": '{"task": "Who won Eurovision 2023?"}'})
    assert "dropped_delegation" not in detectors(run(*rows))


def test_a_managed_run_that_returned_nothing_taken_as_done_is_error_as_data_not_dropped() -> None:
    # The managed agent ran and answered nothing; the manager answered on with no word of it: an
    # empty result taken for the work done (silent_failure), not work nobody picked up
    # (forensics/detectors/empty_reports.py). A manager that says the report came back empty and
    # answers around it dropped the work: tests/detectors/test_empty_report_read_as_none.py.
    found = detectors(run(*_delegation({"output": ""})))
    assert "error_as_data" in found
    assert "dropped_delegation" not in found


def test_dropped_delegation_near_miss_the_manager_delegates_again() -> None:
    again = span(
        "sub2",
        12,
        17,
        parent_id="s2",
        kind="agent",
        name="ToolCallingAgent.run",
        output="Stockholm: Norrström",
    )
    assert "dropped_delegation" not in detectors(run(*_delegation(CRASHED, again)))


def test_dropped_delegation_near_miss_the_manager_searches_itself() -> None:
    itself = span(
        "w2",
        12,
        parent_id="s2",
        kind="tool",
        tool="web_search",
        input='{"query": "Stockholm river"}',
        output="Norrström",
    )
    assert not {"dropped_delegation", "error_as_data"} & detectors(run(*_delegation({"output": "None"}, itself)))


def test_dropped_delegation_near_miss_a_report_or_an_unrecorded_output() -> None:
    # A managed agent that reported back, and one whose span records no output at all (many
    # exporters write none on agent spans): neither says the delegated work came back empty.
    assert "dropped_delegation" not in detectors(
        run(*_delegation({"output": "Sweden; Stockholm; Norrström"}))
    )
    assert not {"dropped_delegation", "error_as_data"} & detectors(run(*_delegation({})))


def test_dropped_delegation_near_miss_the_failure_ends_the_run() -> None:
    # The managed run's failure travelled up and the run failed: owned (it was raised), not dropped.
    assert "dropped_delegation" not in detectors(run(*_delegation(CRASHED, root_status="error")))


def _two_handoffs_in_one_turn(*after: dict[str, object]) -> list[dict[str, object]]:
    # OpenAI Agents SDK execute_handoffs (src/agents/_run_impl.py): the model called two handoff
    # tools in one response; only the first runs, the other is answered "Multiple handoffs
    # detected, ignoring this one.", and the handoff span records SpanError("Multiple handoffs
    # requested", data={"requested_agents": [...]}) (the loader keeps the data under @error_data).
    answer = "Freight is USD 2,980 and duty about USD 1,100."
    return [
        span("root", 0, 20, kind="agent", name="Import Coordinator", output=answer),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o"),
        span("h1", 2, parent_id="root", kind="handoff", handoff_to="Freight Quotes", status="error",
             error_message="Multiple handoffs requested",
             attributes='{"@error_data": {"requested_agents": ["Freight Quotes", "Customs Broker"]}}'),
        span("f1", 3, 8, parent_id="root", kind="agent", name="Freight Quotes"),
        span("q1", 4, parent_id="f1", kind="tool", tool="quote_lcl", input='{"cbm": 14.2}', output='{"total_usd": 2980}'),
        *after,
        span("l2", 18, parent_id="root", kind="llm", model="gpt-4o", output=answer),
    ]


def test_dangling_handoff_fires_on_a_handoff_the_sdk_dropped() -> None:
    f = one(run(*_two_handoffs_in_one_turn()), "dangling_handoff")
    assert f["decisive_span_id"] == "h1"
    assert "handed off to Customs Broker" in f["explanation"]


def test_dangling_handoff_near_miss_the_dropped_agent_was_handed_the_work_later() -> None:
    later = [
        span("h2", 9, parent_id="f1", kind="handoff", handoff_to="Customs Broker"),
        span("c1", 10, 15, parent_id="root", kind="agent", name="Customs Broker"),
    ]
    assert "dangling_handoff" not in detectors(run(*_two_handoffs_in_one_turn(*later)))


# A conversation handed to human agents, as tau-bench's tool-calling agent does it: the
# transfer_to_human_agents tool returns "Transfer successful" and the environment ends the episode
# (terminate_tools, tau_bench/envs/base.py); the agent only tells the user. The confirmation is the
# receiving side taking the conversation. A transfer with no such confirmation, or a ticket filed
# ("created" only notifies), is still unacknowledged when the log ends.


def _transfer(result: str | None, *, tool: str = "transfer_to_human_agents"):
    return run(
        span("root", 0, 20, kind="agent", name="airline_agent"),
        span("u1", 1, parent_id="root", kind="human", name="user", output="I want to speak to a person."),
        span("t1", 2, parent_id="root", kind="tool", tool=tool, input='{"summary": "refund outside policy"}',
             output=result),
        span("m1", 3, parent_id="root", kind="llm", model="gpt-4o", output="I've transferred you to a human agent."),
    )


def test_unacknowledged_escalation_near_miss_a_transfer_its_result_says_went_through() -> None:
    c = _transfer("Transfer successful")
    assert "unacknowledged_escalation" not in detectors(c)


def test_unacknowledged_escalation_fires_on_a_transfer_not_confirmed_or_a_ticket_filed() -> None:
    for result, tool in (
        (None, "transfer_to_human_agents"),
        ('{"queued": true, "position": 14}', "transfer_to_human_agents"),
        ("Ticket created successfully", "create_ticket"),
    ):
        f = one(_transfer(result, tool=tool), "unacknowledged_escalation")
        assert f["decisive_span_id"] == "t1"


def test_unacknowledged_escalation_a_confirmed_transfer_to_an_agent_of_the_run_is_no_acknowledgement() -> None:
    # langgraph-supervisor's handoff tool answers "Successfully transferred to <agent>" as it issues
    # the Command, before the target runs: for an agent of the run, its own work is the evidence.
    c = run(
        span("root", 0, 20, kind="agent", name="supervisor"),
        span("w1", 1, 10, parent_id="root", kind="agent", name="billing_agent"),
        span("t1", 2, parent_id="w1", kind="tool", tool="transfer_to_supervisor", input="{}",
             output="Successfully transferred to supervisor"),
    )
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "t1"


def test_dangling_handoffs_are_built_once_per_classification(monkeypatch) -> None:
    # dangling_handoff and claim_delegates both ask for them: the second asker gets the first's
    # table, the steps build() collects as it goes are not taken again (issue 15 item 4).
    import polars as pl
    from span_builder import spans

    from forensics.detectors import ownership_gap
    from forensics.detectors.base import prepare
    from forensics.policy import resolve_policy

    builds: list[int] = []
    refused = ownership_gap.refused_handoffs
    monkeypatch.setattr(ownership_gap, "refused_handoffs", lambda ctx: builds.append(1) or refused(ctx))
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(
        span("root", 0, 10, kind="agent", name="triage", output="Billing will handle your refund."),
        span("h1", 2, parent_id="root", kind="tool", tool="transfer_to_billing", input="{}"),
    ))), resolve_policy(None))
    first = ownership_gap.dangling_handoffs(ctx)
    second = ownership_gap.dangling_handoffs(ctx)
    assert first.get_column("span_id").to_list() == ["h1"]
    assert second is first
    assert len(builds) == 1


def test_unacknowledged_escalations_are_found_once_for_it_and_limbo(monkeypatch) -> None:
    # limbo reads unacknowledged_escalation's findings (a pause nobody answered): both get the
    # findings found the first time, not a second search.
    from forensics.detectors.ownership_gap import UnacknowledgedEscalation

    found: list[int] = []
    real = UnacknowledgedEscalation._unacknowledged

    def counted(self, ctx):
        found.append(1)
        return real(self, ctx)

    monkeypatch.setattr(UnacknowledgedEscalation, "_unacknowledged", counted)
    c = _escalation_run(None, 61)
    assert one(c, "unacknowledged_escalation")["decisive_span_id"] == "p1"
    assert len(found) == 1
