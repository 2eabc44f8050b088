"""A Haystack agent's spans carry the name the pipeline gave the agent.

Haystack's Agent component opens ``haystack.agent.run`` with tags for its steps, tools and exit
conditions but no name (deepset-ai/haystack haystack/components/agents/agent.py
``_create_agent_span``: ``haystack.agent.max_steps``, ``.tools``, ``.exit_conditions``,
``.state_schema``, parent_span the current span), one ``haystack.agent.step`` a turn holding
``haystack.agent.step.llm`` / ``.tool``; in a pipeline its parent is the component's
``haystack.component.run`` span, whose ``haystack.component.name`` is the agent's name in the
pipeline (haystack/core/pipeline/pipeline.py ``_run_component``; the agent tests assert
``agent_span.parent_span == agent_component_span``). Both agents of a two-agent pipeline loaded as
"haystack.agent.run", their steps with them: now each is its component's name, inherited by its
steps. Near miss: an Agent run alone (no pipeline, no component span) keeps the operation's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from test_haystack_content_tags import _span  # the OTel SDK span JSON Haystack's tracer exports

import forensics


def _agent(i: int, parent: int | None) -> list[dict[str, Any]]:
    """haystack.agent.run (agent.py _create_agent_span's tags), one step with its model call."""
    return [
        _span(i, "haystack.agent.run", {"haystack.agent.max_steps": 100, "haystack.agent.exit_conditions": '["text"]'},
              parent),
        _span(i + 1, "haystack.agent.step", {}, i),
        _span(i + 2, "haystack.agent.step.llm", {}, i + 1),
        _span(i + 3, "haystack.component.run", {"haystack.component.name": "chat_generator",
                                                "haystack.component.type": "OpenAIChatGenerator"}, i + 2),
    ]


def _agents(tmp_path: Path, spans: list[dict[str, Any]]) -> dict[str, Any]:
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    rows = forensics.load(path, format="otel-sdk-json").spans.to_pylist()
    return {int(r["span_id"], 16) - 1: r["agent"] for r in rows}


def test_each_agent_of_a_pipeline_is_its_components_name(tmp_path: Path) -> None:
    spans = [
        _span(0, "haystack.pipeline.run", {}, None),
        _span(1, "haystack.component.run", {"haystack.component.name": "researcher", "haystack.component.type": "Agent"}, 0),
        *_agent(2, 1),
        _span(6, "haystack.component.run", {"haystack.component.name": "writer", "haystack.component.type": "Agent"}, 0),
        *_agent(7, 6),
    ]
    agents = _agents(tmp_path, spans)
    assert [agents[i] for i in (2, 3, 4, 5)] == ["researcher"] * 4
    assert [agents[i] for i in (7, 8, 9, 10)] == ["writer"] * 4
    # The pipeline owns nothing; each Agent component's span is its agent's (semconv_agents.HAYSTACK_AGENT_COMPONENT).
    assert (agents[0], agents[1], agents[6]) == (None, "researcher", "writer")


def _component_over_generator(name: str, type_: str) -> list[dict[str, Any]]:
    """A pipeline running one component (``name`` of class ``type_``) with a chat generator's run under it."""
    return [
        _span(0, "haystack.pipeline.run", {}, None),
        _span(1, "haystack.component.run", {"haystack.component.name": name, "haystack.component.type": type_}, 0),
        _span(2, "haystack.component.run", {"haystack.component.name": "chat_generator",
                                            "haystack.component.type": "OpenAIChatGenerator"}, 1),
    ]


def test_an_agent_components_work_is_its_agents_without_the_agent_span(tmp_path: Path) -> None:
    # What runs under the Agent component's span (here its chat generator's component run, with no
    # haystack.agent.run between them) is the agent's, by the component's name. Was no agent at all.
    agents = _agents(tmp_path, _component_over_generator("triage", "Agent"))
    assert (agents[0], agents[1], agents[2]) == (None, "triage", "triage")


def test_near_miss_a_component_of_another_type_names_no_agent(tmp_path: Path) -> None:
    # A component whose class only starts with Agent (a router choosing an agent) is a step, no agent.
    assert set(_agents(tmp_path, _component_over_generator("route", "AgentRouter")).values()) == {None}


def test_near_miss_an_agent_run_alone_keeps_the_operations_name(tmp_path: Path) -> None:
    agents = _agents(tmp_path, _agent(0, None))
    assert set(agents.values()) == {"haystack.agent.run"}
