"""An escalation a later read of the run reports taken or decided, quoted as a Python repr or as JSON.

OpenAI Agents SDK: a function tool that returns a dict is exported with its output as
``str(output)`` (openai-agents-python ``src/agents/tracing/span_data.py``,
``FunctionSpanData.export``: ``"output": str(self.output) if self.output else None``), so the case an
``escalate_to_human`` tool opened reads ``{'case_id': 'CS-1', 'assignee': None, 'state':
'unassigned'}`` and the agent's later ``get_case_status`` read of it ``{'case_id': 'CS-1', 'state':
'acknowledged', 'assignee': 'Ana Ruiz'}``: a named specialist holds the case. An OpenAI
chat-completions transcript keeps a tool result as the JSON string the tool returned
(``{"role": "tool", "content": ...}``): an approval request answered ``{"approval_id": "APR-1",
"status": "pending"}`` and read back later as ``"status": "approved", "decided_by": ...`` was
answered by a person. Near misses: the read shows the case still unassigned, or the approval still
pending; the read is of another case; the escalation's own result with ``'assignee': None`` or
``''`` names nobody.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span


def _agents_sdk_case(read_id: str, read: dict[str, Any]):
    return run(
        span("ag", 0, 300, kind="agent", agent="Rebooking Agent", name="Rebooking Agent"),
        span("m1", 0.1, 1, parent_id="ag", kind="llm", name="response", model="gpt-4o"),
        span("e", 1.1, 1.5, parent_id="ag", kind="tool", tool="escalate_to_human", name="escalate_to_human",
             input=json.dumps({"pnr": "ZX81QW", "reason": "one seat left for two passengers"}),
             output=str({"case_id": "CS-90211", "queue": "tier2", "assignee": None, "state": "unassigned"})),
        span("m2", 1.6, 2, parent_id="ag", kind="llm", name="response", model="gpt-4o"),
        span("r", 200, 200.4, parent_id="ag", kind="tool", tool="get_case_status", name="get_case_status",
             input=json.dumps({"case_id": read_id}), output=str({"case_id": read_id, **read})),
        span("m3", 200.5, 201, parent_id="ag", kind="llm", name="response", model="gpt-4o",
             output="A specialist has your case and is calling you now."),
    )  # fmt: skip


def test_a_later_read_of_the_case_in_python_repr_naming_its_owner_acknowledges_it() -> None:
    taken = {"state": "acknowledged", "assignee": "Ana Ruiz"}
    assert "unacknowledged_escalation" not in detectors(_agents_sdk_case("CS-90211", taken))


def test_near_miss_the_case_still_unassigned_or_another_case() -> None:
    for read_id, read in (
        ("CS-90211", {"state": "unassigned", "assignee": None}),
        ("CS-90211", {"state": "unassigned", "assignee": ""}),
        ("CS-70001", {"state": "acknowledged", "assignee": "Ana Ruiz"}),
    ):
        assert one(_agents_sdk_case(read_id, read), "unacknowledged_escalation")["decisive_span_id"] == "e", read


def _approval(read_id: str, status: str):
    return run(
        span("run", 0, 20, kind="chain", name="care-assistant"),
        span("u", 0.2, 0.2, parent_id="run", kind="human", output="My sofa arrived cracked, I'd like a refund."),
        span("m1", 1, 2, parent_id="run", kind="llm", name="chat", model="gpt-4o"),
        span("a", 2.1, 2.5, parent_id="run", kind="tool", tool="request_manager_approval", name="request_manager_approval",
             input=json.dumps({"case_id": "RC-1102", "action": "refund", "amount": 1200.0}),
             output=json.dumps({"approval_id": "APR-40118", "status": "pending", "queue": "care-managers"})),
        span("m2", 2.6, 3, parent_id="run", kind="llm", name="chat", model="gpt-4o"),
        span("s", 3.1, 3.4, parent_id="run", kind="tool", tool="get_approval_status", name="get_approval_status",
             input=json.dumps({"approval_id": read_id}),
             output=json.dumps({"approval_id": read_id, "status": status, "decided_by": "tmorales"})),
        span("m3", 3.5, 4, parent_id="run", kind="llm", name="chat", model="gpt-4o",
             output="Thanks for waiting, a manager has looked at your refund."),
    )  # fmt: skip


def test_an_approval_read_back_decided_was_answered() -> None:
    for status in ("approved", "rejected"):
        assert "unacknowledged_escalation" not in detectors(_approval("APR-40118", status)), status


def test_near_miss_the_approval_still_pending_or_another_approval_read() -> None:
    for read_id, status in (("APR-40118", "pending"), ("APR-39001", "approved")):
        assert one(_approval(read_id, status), "unacknowledged_escalation")["decisive_span_id"] == "a", (read_id, status)
