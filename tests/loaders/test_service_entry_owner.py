"""A span another service entered through a remote call is owned by that service, not by the agent
that called it (forensics/service_owner.py).

A triage agent's tool publishes a task to a queue (messaging PRODUCER ``billing-agent-tasks send``);
the billing worker consumes it with the propagated context, so its CONSUMER ``process`` span is a
child of the send span, under another resource ``service.name`` (open-telemetry/semantic-conventions
``docs/messaging/messaging-spans.md``; opentelemetry-specification ``specification/trace/api.md``
SpanKind). Written as the OpenTelemetry Python SDK's ``ReadableSpan.to_json`` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from sdk_spans import sdk_span

import forensics


def _agents(path: Path, rows: list[dict[str, Any]]) -> dict[str, str | None]:
    path.write_text("\n".join(json.dumps(r) for r in rows))
    spans = pl.from_arrow(forensics.load(path).spans)
    return dict(zip(spans.get_column("name").to_list(), spans.get_column("agent").to_list(), strict=True))


def _trace(consumer_service: str, consumer_kind: str = "SpanKind.CONSUMER", with_agent: bool = True) -> list[dict[str, Any]]:
    triage = "support-triage-agent"
    rows = [
        sdk_span(0, "invoke_agent support_triage", {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support_triage"},
                 None, service=triage),
        sdk_span(1, "execute_tool transfer_to_billing", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "transfer_to_billing"},
                 0, service=triage),
        sdk_span(2, "billing-agent-tasks send", {"messaging.system": "aws_sqs", "messaging.operation.type": "send",
                                                "messaging.destination.name": "billing-agent-tasks"}, 1, service=triage),
        sdk_span(3, "billing-agent-tasks process", {"messaging.system": "aws_sqs", "messaging.operation.type": "process",
                                                   "messaging.destination.name": "billing-agent-tasks"}, 2, service=consumer_service),
        sdk_span(4, "GET", {"http.request.method": "GET", "url.full": "https://billing.internal/v1/subscriptions/sub_19"},
                 3, service=consumer_service),
    ]  # fmt: skip
    rows[3]["kind"] = consumer_kind
    rows[4]["kind"] = "SpanKind.CLIENT"
    if with_agent:
        rows.append(sdk_span(5, "invoke_agent billing_specialist",
                             {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "billing_specialist"}, 3,
                             service=consumer_service))  # fmt: skip
        rows.append(sdk_span(6, "execute_tool add_case_note", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "add_case_note"},
                             5, service=consumer_service))  # fmt: skip
    return rows


def test_consumer_span_of_another_service_is_that_service(tmp_path: Path) -> None:
    agents = _agents(tmp_path / "trace.jsonl", _trace("billing-agent-worker"))
    assert agents["billing-agent-tasks send"] == "support_triage"
    assert agents["billing-agent-tasks process"] == "billing-agent-worker"
    # What runs under it takes the service, unless an agent of the callee names itself.
    assert agents["GET"] == "billing-agent-worker"
    assert agents["invoke_agent billing_specialist"] == "billing_specialist"
    assert agents["execute_tool add_case_note"] == "billing_specialist"


def test_server_span_of_another_service_is_that_service(tmp_path: Path) -> None:
    agents = _agents(tmp_path / "trace.jsonl", _trace("billing-api", "SpanKind.SERVER", with_agent=False))
    assert agents["billing-agent-tasks process"] == "billing-api"


def test_near_miss_consumer_in_the_same_service_inherits_the_agent(tmp_path: Path) -> None:
    # The agent's own process consuming its own queue: no boundary, inheritance as before.
    agents = _agents(tmp_path / "trace.jsonl", _trace("support-triage-agent", with_agent=False))
    assert agents["billing-agent-tasks process"] == "support_triage"
    assert agents["GET"] == "support_triage"


def test_near_miss_internal_span_of_another_service_inherits_the_agent(tmp_path: Path) -> None:
    # Not entered from outside (INTERNAL): a resource that differs is no remote call's boundary.
    agents = _agents(tmp_path / "trace.jsonl", _trace("billing-agent-worker", "SpanKind.INTERNAL", with_agent=False))
    assert agents["billing-agent-tasks process"] == "support_triage"
