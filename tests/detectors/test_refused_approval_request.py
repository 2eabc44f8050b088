"""A request for a person's decision that Slack's Web API refused reached nobody.

Slack's Web API answers HTTP 200 with ``{"ok": false, "error": "<code>"}`` when a method fails
(api.slack.com/web, "Evaluating responses"; ``chat.postMessage`` to an archived channel answers
``is_archived``). An OpenAI Agents SDK ``@function_tool`` that returns the response body has its
function span's ``output`` set to ``str(result)`` (openai/openai-agents-python
``src/agents/tracing/span_data.py`` FunctionSpanData, ``src/agents/_run_impl.py``), a Python dict
repr: ``{'ok': False, 'error': 'is_archived'}``. The traces below are the SDK's native export.

Near misses: the same post answered ``ok: True`` and the decision awaited; the refused post
re-posted to another channel that took it; a refused post that asked nobody for anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents_sdk_trace import sdk_generation, sdk_span

import forensics

TRACE = "trace_5c1d0e7a9b3f42d1a6e8c0b4f2d7e913"
ASK = "I need three days of leave beyond my balance next month. Can you sort it?"
ASKING = "Leave exception request: E-100 asks for 3 days beyond balance; needs manager approval."
OK_POST = "{'ok': True, 'channel': 'C0123ABCD', 'ts': '1752656597.349219'}"
REFUSED = "{'ok': False, 'error': 'is_archived'}"


def _post(sid: str, start: float, channel: str, text: str, output: str) -> dict[str, Any]:
    data = {"type": "function", "name": "post_to_slack", "input": json.dumps({"channel": channel, "text": text}),
            "output": output, "mcp_data": None}  # fmt: skip
    return sdk_span(TRACE, sid, "a1", start, start + 0.4, data)


def _wait(sid: str, start: float) -> dict[str, Any]:
    data = {"type": "function", "name": "wait_for_approval", "input": json.dumps({"channel": "C0123ABCD"}),
            "output": "{'decision': 'approved', 'by': 'U02 (K. Lee)'}", "mcp_data": None}  # fmt: skip
    return sdk_span(TRACE, sid, "a1", start, start + 5, data)


def _run(tmp_path: Path, calls: list[dict[str, Any]]) -> list[str]:
    answer = [{"role": "assistant", "content": "I've sent your request to your manager for approval."}]
    end = max(float(c["ended_at"][17:23]) for c in calls) + 2
    agent = {"type": "agent", "name": "LeaveAdvisor", "handoffs": [], "tools": ["post_to_slack"], "output_type": "str"}
    records = [
        {"object": "trace", "id": TRACE, "workflow_name": "Leave assistant", "group_id": None, "metadata": {}},
        sdk_generation(TRACE, "g1", 1, 2, ASK, [{"role": "assistant", "content": None}]),
        *calls,
        sdk_generation(TRACE, "g9", end - 1.5, end - 0.5, ASK, answer),
        sdk_span(TRACE, "a1", None, 0, end, agent),
    ]
    path = tmp_path / "leave.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_an_approval_request_the_web_api_refused_was_received_by_nobody(tmp_path: Path) -> None:
    found = _run(tmp_path, [_post("p1", 3, "#approvals-old", ASKING, REFUSED)])
    assert "unacknowledged_escalation" in found


def test_an_approval_request_posted_and_answered_is_clean(tmp_path: Path) -> None:
    found = _run(tmp_path, [_post("p1", 3, "#approvals", ASKING, OK_POST), _wait("w1", 4)])
    assert "unacknowledged_escalation" not in found


def test_a_refused_request_posted_again_elsewhere_was_delivered(tmp_path: Path) -> None:
    calls = [_post("p1", 3, "#approvals-old", ASKING, REFUSED), _post("p2", 4, "#approvals", ASKING, OK_POST), _wait("w1", 5)]
    assert "unacknowledged_escalation" not in _run(tmp_path, calls)


def test_a_refused_post_that_asked_for_no_decision_is_no_escalation(tmp_path: Path) -> None:
    found = _run(tmp_path, [_post("p1", 3, "#releases", "Deployed build 412 to staging.", REFUSED)])
    assert "unacknowledged_escalation" not in found
