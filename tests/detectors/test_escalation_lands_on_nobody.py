"""An escalation filed where nobody holds it: a triage status, a read-back, a deactivated owner.

Three shapes of the same gap, each from what the systems really return:

* Jira keeps an issue nobody has taken in a triage status of its workflow (``Untriaged``,
  ``Needs Triage``, ``Backlog``) with ``fields.assignee`` null (REST v3 GET /rest/api/3/issue/{key});
  a tool that returns the new issue flat (``{"key", "status", "assignee"}``) says the same.
* Jira's create call itself returns only ``{"id", "key", "self"}`` (REST v3 POST /rest/api/3/issue,
  developer.atlassian.com "Create issue"): who holds the issue shows when the run reads it back
  naming its key. The create is the escalation (a Langfuse v2 plain span for a function: kind chain,
  langfuse-python v2 ``StatefulClient.span``); a search that lists issues others opened is not.
* An owner that is an account switched off: Jira's user ``"active": false`` (REST v3 User), Okta's
  user ``status`` ``DEPROVISIONED`` / ``SUSPENDED`` (Okta Users API), a case system's
  ``account_status: deactivated``. A routing rule that still names a leaver assigned the case to
  nobody.

smolagents' OpenInference tool span records no result; the ``Step N`` span's output is the step's
observations (openinference-instrumentation-smolagents ``_StepWrapper``), the tool's result.

Near misses: an assignee that is an active account; a deactivated former owner named beside the
active assignee; a later read showing the issue assigned; a search (no act) whose result lists an
untriaged issue.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

ESC = "unacknowledged_escalation"


def _flat(result: dict[str, Any]):
    return run(
        span("run", 0, 200, kind="chain", name="support-desk"),
        span("t1", 2, 3, parent_id="run", kind="tool", tool="open_issue",
             input=json.dumps({"project": "PLAT", "summary": "Checkout errors", "priority": "Highest"}),
             output=json.dumps(result)),
        span("fin", 190, 191, parent_id="run", kind="llm", name="final", output="Escalated; an engineer is on it."),
    )  # fmt: skip


def test_an_issue_left_untriaged_with_no_assignee_is_an_unacknowledged_escalation() -> None:
    flat = {"key": "PLAT-4410", "status": "Untriaged", "assignee": None}
    assert one(_flat(flat), ESC)["decisive_span_id"] == "t1"
    nested = {"key": "PLAT-4410", "fields": {"status": {"name": "Needs Triage"}, "assignee": None}}
    assert one(_flat(nested), ESC)["decisive_span_id"] == "t1"


def test_near_miss_an_issue_with_an_active_assignee_or_a_plain_open_status() -> None:
    owned = {"key": "PLAT-4410", "status": "Untriaged", "assignee": {"accountId": "5b10a2844c20165700ede21g", "active": True}}
    assert ESC not in detectors(_flat(owned))
    # No queue and no triage status: an open issue with nobody yet says nothing of a queue.
    assert ESC not in detectors(_flat({"key": "PLAT-4410", "status": "Open", "assignee": None}))


def _read_back(later: dict[str, Any], opener: str = "jira.create_issue") -> Any:
    return run(
        span("run", 0, 200, kind="chain", name="interface-monitor"),
        span("c", 2, 3, parent_id="run", kind="chain", name=opener,
             input=json.dumps({"fields": {"project": {"key": "OPS"}, "summary": "Feed stalled", "priority": {"name": "Highest"}}}),
             output=json.dumps({"id": "204417", "key": "OPS-1182", "self": "https://example.atlassian.net/rest/api/3/issue/204417"})),
        span("g", 4, 5, parent_id="run", kind="chain", name="jira.get_issue",
             input=json.dumps({"issueIdOrKey": "OPS-1182", "fields": "status,assignee"}), output=json.dumps(later)),
        span("fin", 6, 7, parent_id="run", kind="llm", name="final", output="Escalated to the integration team."),
    )  # fmt: skip


UNTRIAGED = {"key": "OPS-1182", "fields": {"status": {"name": "Untriaged"}, "assignee": None}}


def test_a_created_issue_read_back_untriaged_and_unassigned_is_the_escalation() -> None:
    assert one(_read_back(UNTRIAGED), ESC)["decisive_span_id"] == "c"


def test_near_miss_read_back_assigned_or_the_opener_only_searched() -> None:
    assigned = {"key": "OPS-1182", "fields": {"status": {"name": "In Progress"}, "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "active": True}}}
    assert ESC not in detectors(_read_back(assigned))
    assert ESC not in detectors(_read_back(UNTRIAGED, opener="jira.search_issues"))


def _case(assignee: dict[str, Any], **extra: Any):
    case = {"case_id": "HRC-30112", "queue": "Payroll Operations", "state": "new", "assignee": assignee, **extra}
    return run(
        span("conv", 0, 10, kind="agent", name="conversation", agent="assistant"),
        span("u", 0.5, 0.6, parent_id="conv", kind="human", name="user", output="My overtime is missing from my payslip."),
        span("t1", 2, 3, parent_id="conv", kind="tool", tool="open_case", agent="assistant",
             input=json.dumps({"queue": "payroll_operations", "summary": "Overtime missing"}), output=json.dumps(case)),
        span("fin", 4, 5, parent_id="conv", kind="llm", name="assistant", agent="assistant",
             output="I've opened a case; the payroll team will follow up by Friday."),
    )  # fmt: skip


def test_a_case_assigned_to_a_deactivated_account_is_held_by_nobody() -> None:
    assert one(_case({"id": "u_1021", "name": "A. Leaver", "account_status": "deactivated"}), ESC)["decisive_span_id"] == "t1"
    assert one(_case({"accountId": "5b10a2844c", "displayName": "A. Leaver", "active": False}), ESC)["decisive_span_id"] == "t1"
    assert one(_case({"id": "00u1abcd", "status": "DEPROVISIONED"}), ESC)["decisive_span_id"] == "t1"


def test_near_miss_an_active_assignee_even_beside_a_deactivated_former_owner() -> None:
    active = {"accountId": "5b10ac8d82", "displayName": "B. Backup", "active": True}
    assert ESC not in detectors(_case(active))
    former = {"previous_owner": {"id": "u_1021", "account_status": "deactivated"}}
    assert ESC not in detectors(_case(active, **former))


def _smol(observation: dict[str, Any]):
    return run(
        span("root", 0, 9, kind="agent", name="ToolCallingAgent.run", agent="ToolCallingAgent",
             input=json.dumps({"task": "Customer reports 500s on checkout. Escalate to engineering."}),
             output="Escalated as PLAT-9021; an engineer is investigating."),
        span("s1", 0.1, 3, parent_id="root", kind="chain", name="Step 1", output=json.dumps(observation)),
        span("m1", 0.2, 1, parent_id="s1", kind="llm", name="LiteLLMModel.generate"),
        span("t1", 1.1, 2, parent_id="s1", kind="tool", name="JiraTool", tool="create_jira_issue",
             input=json.dumps({"kwargs": {"project": "PLAT", "summary": "500s on checkout", "priority": "Highest"}})),
        span("s2", 3, 8, parent_id="root", kind="chain", name="Step 2", output="Escalated as PLAT-9021."),
        span("f", 4, 5, parent_id="s2", kind="tool", name="FinalAnswerTool", tool="final_answer",
             input=json.dumps({"kwargs": {"answer": "Escalated as PLAT-9021."}})),
    )  # fmt: skip


def test_smolagents_tool_whose_step_observation_is_an_untriaged_unassigned_issue() -> None:
    assert one(_smol({"key": "PLAT-9021", "status": "Untriaged", "assignee": None}), ESC)["decisive_span_id"] == "t1"


def test_near_miss_smolagents_issue_assigned() -> None:
    assert ESC not in detectors(_smol({"key": "PLAT-9021", "status": "Untriaged", "assignee": "5b10ac8d82e05b22cc7d4ef5"}))
