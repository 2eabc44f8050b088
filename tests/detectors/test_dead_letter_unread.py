"""Work parked in a dead-letter queue nothing reads: unacknowledged_escalation.

Written as the OpenTelemetry SDK's span JSON (``ReadableSpan.to_json``: ``context``, ``parent_id``,
``status.status_code``, ``attributes``) of an AutoGen team: autogen-core opens ``invoke_agent {name}``
per agent and ``execute_tool {name}`` per tool call with only the tool's name, description and call id
(microsoft/autogen ``python/packages/autogen-core/src/autogen_core/_telemetry/_genai.py``
``trace_tool_span``, ``trace_invoke_agent_span``); the arguments are in the model call's tool call,
which opentelemetry-instrumentation-openai records as ``gen_ai.completion.0.tool_calls.0.arguments``.
The agent sends the event it could not apply to an SQS dead-letter queue (``sqs_send_message`` with a
``QueueUrl`` ending ``-dlq``); SQS keeps it there until something receives or redrives it
(AWS SQS Developer Guide, "Using dead-letter queues").

Near misses: another agent of the team receives from the same queue and re-applies the event; the
queue is an ordinary work queue; a read of the queue shows a consumer on it; a ticket filed after the
park came back assigned (the ticket is the escalation, and it has an owner).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics

TRACE = "0x1c7e5a90b3d24f6e8a0c2e4f6a8b0d12"
DLQ = "https://sqs.us-east-2.amazonaws.com/204918273645/shipment-events-dlq"


class Team:
    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.clock = 0

    def span(self, sid: str, parent: str | None, name: str, attrs: dict[str, Any], ok: bool = True,
             error: str = "") -> None:
        self.clock += 1
        status: dict[str, Any] = {"status_code": "OK" if ok else "ERROR"}
        if error:
            status["description"] = error
        self.spans.append({"name": name, "context": {"trace_id": TRACE, "span_id": f"0x{sid:0>16}", "trace_state": "[]"},
                           "kind": "SpanKind.INTERNAL", "parent_id": f"0x{parent:0>16}" if parent else None,
                           "start_time": f"2026-03-02T08:14:{self.clock:02d}.000000Z",
                           "end_time": f"2026-03-02T08:14:{self.clock:02d}.500000Z",
                           "status": status, "attributes": attrs, "events": [], "links": [],
                           "resource": {"attributes": {"service.name": "fulfilment-team"}, "schema_url": ""}})  # fmt: skip

    def asks(self, sid: str, agent: str, tool: str, arguments: dict[str, Any]) -> None:
        self.span(sid, agent, "chat gpt-4o", {
            "gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.finish_reasons": ["tool_calls"], "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.tool_calls.0.id": f"call_{sid}", "gen_ai.completion.0.tool_calls.0.name": tool,
            "gen_ai.completion.0.tool_calls.0.arguments": json.dumps(arguments)})  # fmt: skip

    def runs(self, sid: str, agent: str, tool: str, ok: bool = True, error: str = "") -> None:
        self.span(sid, agent, f"execute_tool {tool}", {"gen_ai.operation.name": "execute_tool", "gen_ai.system": "autogen",
                                                        "gen_ai.tool.name": tool, "gen_ai.tool.call.id": f"call_t{sid}"},
                  ok, error)  # fmt: skip

    def says(self, sid: str, agent: str, text: str) -> None:
        self.span(sid, agent, "chat gpt-4o", {"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
                                              "gen_ai.request.model": "gpt-4o", "gen_ai.response.finish_reasons": ["stop"],
                                              "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": text})  # fmt: skip

    def agent(self, sid: str, name: str) -> None:
        self.span(sid, "f", f"invoke_agent {name}", {"gen_ai.operation.name": "invoke_agent", "gen_ai.system": "autogen",
                                                     "gen_ai.agent.name": name})  # fmt: skip

    def found(self, tmp_path: Path) -> dict[str, str]:
        self.span("f", None, "autogen publish group_topic_1c7e", {"messaging.operation": "publish"})
        path = tmp_path / "team.otel.json"
        path.write_text(json.dumps(self.spans))
        findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
        return dict(zip(findings["detector"].to_list(), findings["decisive_span_id"].to_list(), strict=True))


def _parked(queue: str = DLQ, t: Team | None = None) -> Team:
    t = t or Team()
    t.asks("a1", "a", "apply_shipment_event", {"event_id": "evt_7731", "shipment_id": "SH-20931"})
    t.runs("a2", "a", "apply_shipment_event", ok=False, error="CarrierConflict: SH-20931 has no carrier booking")
    t.asks("a3", "a", "sqs_send_message", {"QueueUrl": queue, "MessageBody": '{"event_id": "evt_7731"}'})
    t.runs("a4", "a", "sqs_send_message")
    t.says("a5", "a", "Shipment event evt_7731 could not be applied; it is parked in the queue for follow-up.")
    t.agent("a", "shipping_agent")
    return t


def test_an_event_parked_in_a_dead_letter_queue_nobody_reads(tmp_path: Path) -> None:
    found = _parked().found(tmp_path)
    assert found.get("unacknowledged_escalation") == "00000000000000a4", found
    # The failed apply was passed on to the queue (an escalation): not an error swallowed as well.
    assert not found.keys() & {"swallowed_error", "unhandled_error"}, found


def test_near_miss_another_agent_drains_the_queue(tmp_path: Path) -> None:
    t = _parked()
    t.asks("b1", "b", "sqs_receive_message", {"QueueUrl": DLQ, "MaxNumberOfMessages": 10})
    t.runs("b2", "b", "sqs_receive_message")
    t.asks("b3", "b", "apply_shipment_event", {"event_id": "evt_7731", "shipment_id": "SH-20931"})
    t.runs("b4", "b", "apply_shipment_event")
    t.says("b5", "b", "Booked a carrier for SH-20931, re-applied evt_7731 and removed it from the queue.")
    t.agent("b", "carrier_agent")
    assert "unacknowledged_escalation" not in t.found(tmp_path)


def test_near_miss_an_ordinary_work_queue(tmp_path: Path) -> None:
    found = _parked("https://sqs.us-east-2.amazonaws.com/204918273645/shipment-events").found(tmp_path)
    assert "unacknowledged_escalation" not in found


def test_near_miss_the_queue_has_a_consumer(tmp_path: Path) -> None:
    # A read of the queue, before the park, that reports a consumer on it (a redrive job is
    # listening); the same read reporting none leaves the park unread.
    def described(consumers: int) -> dict[str, str]:
        t = Team()
        t.asks("c1", "a", "describe_queue", {"QueueUrl": DLQ})
        t.span("c2", "a", "execute_tool describe_queue", {
            "gen_ai.operation.name": "execute_tool", "gen_ai.system": "autogen", "gen_ai.tool.name": "describe_queue",
            "gen_ai.tool.call.id": "call_tc2",
            "output.value": json.dumps({"QueueUrl": DLQ, "consumer_count": consumers})})  # fmt: skip
        return _parked(t=t).found(tmp_path)

    assert "unacknowledged_escalation" not in described(1)
    assert "unacknowledged_escalation" in described(0)


def test_near_miss_a_ticket_filed_after_the_park_came_back_assigned(tmp_path: Path) -> None:
    t = _parked()
    t.asks("d1", "a", "create_ticket", {"title": "evt_7731 parked: no carrier booking", "queue": "logistics-ops"})
    t.span("d2", "a", "execute_tool create_ticket", {
        "gen_ai.operation.name": "execute_tool", "gen_ai.system": "autogen", "gen_ai.tool.name": "create_ticket",
        "gen_ai.tool.call.id": "call_td2",
        "output.value": json.dumps({"id": "LOG-4471", "status": "open", "assignee": "m.okafor"})})  # fmt: skip
    assert "unacknowledged_escalation" not in t.found(tmp_path)


def test_a_tool_named_for_the_dead_letter_queue_that_names_no_queue(tmp_path: Path) -> None:
    # A tool whose own name says where it sends (send_to_dead_letter), its arguments naming the
    # items only: the park is judged as a send to the dead-letter queue; a later tool named for
    # reading that queue takes it up.
    def run(read_after: bool) -> dict[str, str]:
        t = Team()
        t.asks("e1", "a", "send_to_dead_letter", {"order_ids": ["EU-55120", "EU-55131"], "reason": "postcode missing"})
        t.runs("e2", "a", "send_to_dead_letter")
        if read_after:
            t.asks("e3", "a", "receive_dead_letters", {"max_messages": 10})
            t.runs("e4", "a", "receive_dead_letters")
        t.says("e5", "a", "Imported 498 orders; 2 moved to the dead-letter queue for follow-up.")
        t.agent("a", "import_agent")
        return t.found(tmp_path)

    assert run(False).get("unacknowledged_escalation") == "00000000000000e2"
    assert "unacknowledged_escalation" not in run(True)
