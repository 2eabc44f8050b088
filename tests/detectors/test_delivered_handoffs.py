"""dangling_handoff follows a handoff through a message queue to the agent its consumer ran.

Built from the OpenTelemetry conventions the spans come from: GenAI ``invoke_agent`` / ``execute_tool``
spans, and messaging spans (open-telemetry/semantic-conventions docs/messaging/messaging-spans.md) that
carry ``messaging.system`` with span kind PRODUCER (``{destination} publish``) and CONSUMER
(``{destination} process``), the consumer a child of the producer when the context travels with the
message.
"""

from __future__ import annotations

from pathlib import Path

from otlp_trace import classify_otlp, otlp_span

INTERNAL, PRODUCER, CONSUMER = 1, 4, 5


def _queue_handoff(*, consumed: bool, consumer_kind: int = CONSUMER, consumer_agent: str = "refund_specialist") -> list[dict]:
    spans = [
        otlp_span("a0", "", "invoke_agent intake", 0, 9000, {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "intake"}),
        otlp_span("l1", "a0", "chat gpt-4.1", 10, 900, {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4.1"}),
        otlp_span("h1", "a0", "execute_tool transfer_to_refunds", 1000, 1200,
                  {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "transfer_to_refunds"}),  # fmt: skip
        otlp_span("p1", "h1", "refund-requests publish", 1050, 1150,
                  {"messaging.system": "kafka", "messaging.operation.type": "send", "messaging.destination.name": "refund-requests"},
                  kind=PRODUCER),  # fmt: skip
        otlp_span("l2", "a0", "chat gpt-4.1", 1300, 2000, {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4.1"}),
    ]
    if consumed:
        spans += [
            otlp_span("c1", "p1", "refund-requests process", 1400, 8000,
                      {"messaging.system": "kafka", "messaging.operation.type": "process", "messaging.destination.name": "refund-requests"},
                      kind=consumer_kind),  # fmt: skip
            otlp_span("a1", "c1", f"invoke_agent {consumer_agent}", 1500, 7900,
                      {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": consumer_agent}),  # fmt: skip
            otlp_span("l3", "a1", "chat gpt-4.1", 1600, 3000, {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4.1"}),
        ]
    return spans


def test_a_handoff_published_to_a_queue_and_processed_by_another_agent_was_taken(tmp_path: Path) -> None:
    found = classify_otlp(_queue_handoff(consumed=True), tmp_path / "t.json")
    # The consumer ran refund_specialist: the handoff named "refunds" was taken, whatever the tool's name.
    assert "dangling_handoff" not in found.get_column("detector").to_list()


def test_a_handoff_published_to_a_queue_nobody_processed_still_dangles(tmp_path: Path) -> None:
    found = classify_otlp(_queue_handoff(consumed=False), tmp_path / "t.json")
    hit = found.filter(found["detector"] == "dangling_handoff")
    assert hit.height == 1 and hit["decisive_span_id"][0] == "h1"


def test_an_internal_span_copying_a_messaging_attribute_is_no_hop(tmp_path: Path) -> None:
    # The "consumer" is an INTERNAL span: no delivery of the message, so no agent took the handoff through it.
    found = classify_otlp(_queue_handoff(consumed=True, consumer_kind=INTERNAL), tmp_path / "t.json")
    assert "dangling_handoff" in found.get_column("detector").to_list()


def test_the_handing_agent_itself_below_the_consumer_takes_nothing(tmp_path: Path) -> None:
    # The message came back to the agent that sent it: nobody else took the work.
    found = classify_otlp(_queue_handoff(consumed=True, consumer_agent="intake"), tmp_path / "t.json")
    assert "dangling_handoff" in found.get_column("detector").to_list()
