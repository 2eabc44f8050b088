"""An incident said opened with no ticket tool behind it (policy claim "creating a ticket").

A service desk's ticket is often an incident (ServiceNow's incident table, whose numbers read
INC0194412; PagerDuty and Opsgenie incidents). smolagents ToolCallingAgent: the run span names the
agent's tools (``smolagents.tools_names``, openinference-instrumentation-smolagents _wrappers.py),
each call a TOOL span, the answer the ``final_answer`` tool's (src/smolagents/default_tools.py
FinalAnswerTool). The agent was given ``create_ticket``, never called it, and answered "I've opened
incident INC0194412 for the Network team": the act is claimed, nothing did it.

Near misses: ``create_ticket`` was called and returned the number; a PagerDuty incident opened by
``pagerduty_create_incident`` (a tool named for incidents backs the claim); an incident's opening
relayed from a lookup ("Incident INC0194412 was opened at 03:12 by monitoring") is a state, not
the agent's act.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

TOOLS = ["get_device_status", "kb_search", "create_ticket", "get_incident", "pagerduty_create_incident", "final_answer"]
DEVICE = ("get_device_status", {"asset": "LT-20931"}, '{"asset": "LT-20931", "last_vpn_error": "GP-1004 portal certificate not trusted"}')
KB = ("kb_search", {"query": "GlobalProtect GP-1004"}, "KB0012877: the network team must re-issue the portal certificate.")
CLAIM = (
    "Your VPN fails because of the new portal certificate (GP-1004, see KB0012877). I've opened incident "
    "INC0194412 for the Network team to re-issue the certificate; you'll get an update on the ticket."
)


def _agent(answer: str, *calls: tuple[str, dict[str, str], str]):
    rows = [
        span("root", 0, 30, kind="agent", name="ToolCallingAgent.run", output=answer,
             input="My laptop LT-20931 won't connect to the VPN. Please open a ticket for the network team if needed.",
             attributes=json.dumps({"smolagents.tools_names": TOOLS})),
    ]  # fmt: skip
    t = 1.0
    for i, (name, args, out) in enumerate([DEVICE, KB, *calls, ("final_answer", {"answer": answer}, answer)]):
        rows.append(span(f"m{i}", t, t + 1, parent_id="root", kind="llm", model="gpt-4o",
                         output=json.dumps({"tool_calls": [{"function": {"name": name, "arguments": args}}]})))  # fmt: skip
        rows.append(span(f"t{i}", t + 1, t + 1.5, parent_id="root", kind="tool", tool=name, input=json.dumps(args), output=out))
        t += 2
    return run(*rows)


def test_an_incident_said_opened_with_no_ticket_tool_called() -> None:
    f = one(_agent(CLAIM), "claimed_but_not_done")
    assert "opened incident INC0194412" in f["explanation"] and "creating a ticket" in f["explanation"]


def test_near_miss_the_ticket_was_created() -> None:
    created = ("create_ticket", {"group": "Network", "summary": "Re-issue the portal certificate"}, '{"number": "INC0194412"}')
    assert "claimed_but_not_done" not in detectors(_agent(CLAIM, created))


def test_near_miss_a_pagerduty_incident_opened_by_its_tool() -> None:
    paged = ("pagerduty_create_incident", {"service": "network", "title": "VPN certificate"}, '{"incident": {"id": "Q2K7W1"}}')
    said = "I've opened an incident in PagerDuty (Q2K7W1) for the network on-call."
    assert "claimed_but_not_done" not in detectors(_agent(said, paged))


def test_near_miss_an_incidents_opening_relayed_from_a_lookup() -> None:
    looked = ("get_incident", {"number": "INC0194412"}, '{"number": "INC0194412", "opened_at": "03:12", "opened_by": "monitoring"}')
    said = "Incident INC0194412 was opened at 03:12 by monitoring; the Network team is on it."
    assert "claimed_but_not_done" not in detectors(_agent(said, looked))
