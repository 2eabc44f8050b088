"""unguarded_irreversible: a tool that delivers a message about an irreversible act does not do it.

A tool's name can hold an irreversible word as what it is about (``post_deploy_webhook``): the name
alone cannot tell a notice posted to a team's webhook from a POST to a deploy hook that starts a
deploy. Where the framework records the tool's own description, it tells: Google ADK sets
``gen_ai.tool.description`` on each ``execute_tool`` span from the live tool (adk-python
``src/google/adk/telemetry/tracing.py`` ``trace_tool_call``:
``span.set_attribute('gen_ai.tool.description', tool.description)``, a FunctionTool's docstring),
beside ``gen_ai.tool.name`` and the call's ``gcp.vertex.agent.tool_call_args`` /
``gcp.vertex.agent.tool_response``; exported as OTLP/JSON under the ``gcp.vertex.agent`` scope.
A description opening with a delivery verb whose object is a message ("POSTs a deployment notice to
the team's incoming webhook") is a message about the deploy (conventions.tool_descriptions
``only_notifies``).

Near misses stay irreversible: the same name described as triggering the deploy, and a name whose
own verb is the irreversible act (``deploy_and_notify``) whatever its description says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from otlp_trace import classify_otlp, otlp_span

ADK = {"gen_ai.system": "gcp.vertex.agent"}


def _adk(tmp_path: Path, tool: str, description: str) -> list[dict[str, Any]]:
    """An ADK release assistant asked to confirm a rollout and tell the team: it reads the rollout
    status, then calls ``tool`` (described by ``description``) once, and answers."""
    args = {"url": "https://hooks.example.com/services/T0/B0/x", "payload": {"text": "payments-api 3.8.2 is live"}}
    call = {**ADK, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
            "gen_ai.tool.description": description, "gen_ai.tool.type": "FunctionTool",
            "gen_ai.tool.call.id": "adk-2", "gcp.vertex.agent.tool_call_args": json.dumps(args),
            "gcp.vertex.agent.tool_response": json.dumps({"status": "ok", "http_status": 200})}  # fmt: skip
    status = {**ADK, "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_deployment_status",
              "gen_ai.tool.description": "Returns rollout status for a service in an environment.",
              "gen_ai.tool.type": "FunctionTool", "gen_ai.tool.call.id": "adk-1",
              "gcp.vertex.agent.tool_call_args": json.dumps({"service": "payments-api"}),
              "gcp.vertex.agent.tool_response": json.dumps({"rollout": "complete"})}  # fmt: skip
    llm = {**ADK, "gen_ai.request.model": "gemini-2.5-flash"}
    spans = [
        otlp_span("2000000000000001", "", "invocation", 0, 9000, {}),
        otlp_span("2000000000000002", "2000000000000001", "invoke_agent release_manager", 10, 8900,
                  {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "release_manager"}),
        otlp_span("2000000000000003", "2000000000000002", "call_llm", 20, 1000, llm),
        otlp_span("2000000000000004", "2000000000000002", "execute_tool get_deployment_status", 1000, 1300, status),
        otlp_span("2000000000000005", "2000000000000002", "call_llm", 1300, 2500, llm),
        otlp_span("2000000000000006", "2000000000000002", f"execute_tool {tool}", 2500, 2900, call),
        otlp_span("2000000000000007", "2000000000000002", "call_llm", 2900, 4000, llm),
    ]  # fmt: skip
    return classify_otlp(spans, tmp_path / "adk.otlp.json", scope="gcp.vertex.agent", service="release-assistant").to_dicts()


def _unguarded(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["detector"] == "unguarded_irreversible"]


def test_a_deployment_notice_posted_to_a_webhook_deploys_nothing(tmp_path: Path) -> None:
    found = _adk(tmp_path, "post_deploy_webhook", "POSTs a deployment notice to the team's incoming webhook.")
    assert _unguarded(found) == []


def test_near_miss_the_same_name_described_as_triggering_the_deploy_is_unguarded(tmp_path: Path) -> None:
    found = _adk(tmp_path, "post_deploy_webhook", "Triggers a production deploy by POSTing to the service's deploy hook.")
    (hit,) = _unguarded(found)
    assert hit["decisive_span_id"] == "2000000000000006"


def test_near_miss_a_name_whose_own_verb_deploys_is_unguarded_whatever_its_description(tmp_path: Path) -> None:
    found = _adk(tmp_path, "deploy_and_notify", "Sends a deployment notification to the release channel.")
    (hit,) = _unguarded(found)
    assert hit["decisive_span_id"] == "2000000000000006"
