"""Haystack's content tags are the span's input and output.

With content tracing on (``HAYSTACK_CONTENT_TRACING_ENABLED``), Haystack sets
``haystack.component.input`` and ``haystack.component.output`` on each ``haystack.component.run``
span (deepset-ai/haystack ``haystack/core/pipeline/base.py``: ``_COMPONENT_INPUT``,
``_COMPONENT_OUTPUT``, ``span.set_content_tag``), and ``haystack.pipeline.input_data`` /
``output_data`` on the pipeline's span; haystack/tracing/opentelemetry.py writes each tag as an
attribute. They loaded as leftover attributes, so an ``OpenAIChatGenerator`` whose reply came back
with ``finish_reason: "content_filter"`` and no content (its ``_meta``, as
haystack/components/generators/chat/openai.py ``_convert_chat_completion_to_chat_message`` records the
choice's finish_reason) was never read as filtered, and the pipeline posted the empty digest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from sdk_spans import sdk_span

import forensics
from forensics.classify import classify


def _span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0) -> dict[str, Any]:
    return sdk_span(i, name, attributes, parent, service="digest")


def _pipeline(tmp_path: Path, finish_reason: str, content: list[dict[str, Any]]) -> forensics.LoadResult:
    reply = {"replies": [{"_role": "assistant", "_content": content,
                          "_meta": {"model": "gpt-4o-2024-11-20", "index": 0, "finish_reason": finish_reason}}]}
    spans = [
        _span(0, "haystack.pipeline.run", {"haystack.pipeline.input_data": json.dumps({"retriever": {"query": "FATF update"}}),
                                           "haystack.pipeline.output_data": json.dumps({"notifier": {"status": "sent"}})},
              parent=None),
        _span(1, "haystack.component.run", {"haystack.component.name": "llm", "haystack.component.type": "OpenAIChatGenerator",
                                            "haystack.component.input": json.dumps({"messages": "[2 messages]"}),
                                            "haystack.component.output": json.dumps(reply)}),
        _span(2, "haystack.component.run", {"haystack.component.name": "notifier", "haystack.component.type": "TeamsNotifier",
                                            "haystack.component.output": json.dumps({"status": "sent"})}),
    ]
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    return forensics.load(path, format="otel-sdk-json")


def test_the_content_tags_load_as_input_and_output(tmp_path: Path) -> None:
    r = _pipeline(tmp_path, "stop", [{"text": "Digest: three updates."}])
    rows = {row["name"] + ":" + str(row["kind"]): row for row in r.spans.to_pylist()}
    llm = rows["haystack.component.run:llm"]
    assert json.loads(llm["output"])["replies"][0]["_meta"]["finish_reason"] == "stop"
    assert json.loads(llm["input"]) == {"messages": "[2 messages]"}
    assert json.loads(rows["haystack.pipeline.run:chain"]["output"]) == {"notifier": {"status": "sent"}}
    assert r.report.balanced


def test_a_filtered_generator_reply_is_a_failed_call_and_a_normal_one_is_not(tmp_path: Path) -> None:
    filtered = classify(_pipeline(tmp_path, "content_filter", []).spans)
    assert "swallowed_error" in filtered.findings.column("detector").to_pylist()
    normal = classify(_pipeline(tmp_path, "stop", [{"text": "Digest: three updates."}]).spans)
    assert normal.findings.num_rows == 0


def test_the_agent_components_own_tags_load_as_input_and_output(tmp_path: Path) -> None:
    """The Agent component traces its own spans, not ``haystack.component.run``: ``haystack.agent.run``
    with ``haystack.agent.input`` (the run's messages and kwargs) and ``haystack.agent.output`` (its
    State's data), each turn's ``haystack.agent.step.llm`` with ``haystack.agent.step.llm.input`` /
    ``.output`` (the chat generator's inputs, its result) and ``haystack.agent.step.tool`` with
    ``haystack.agent.step.tool.input`` / ``.output`` ({"tool_messages", "state"}) (deepset-ai/haystack
    haystack/components/agents/agent.py ``run``, ``_run_step``: ``span.set_content_tag``). They loaded as
    leftover attributes, so the agent's question and answer were missing from its own span."""
    user = {"role": "user", "content": [{"text": "Which carriers serve route 12?"}], "name": None, "meta": {}}
    answer = {"role": "assistant", "content": [{"text": "Two carriers serve route 12."}], "name": None, "meta": {}}
    spans = [
        _span(0, "haystack.agent.run", {"haystack.agent.max_steps": 5,
                                        "haystack.agent.input": json.dumps({"messages": [user], "streaming_callback": None}),
                                        "haystack.agent.output": json.dumps({"messages": [user, answer]})}, parent=None),
        _span(1, "haystack.agent.step", {"haystack.agent.step": 0}),
        _span(2, "haystack.agent.step.llm", {"haystack.agent.step.llm.input": json.dumps({"messages": [user]}),
                                             "haystack.agent.step.llm.output": json.dumps({"replies": [answer]})}, parent=1),
        _span(3, "haystack.agent.step.tool", {"haystack.agent.step.tool.input": json.dumps({"messages": [user]}),
                                              "haystack.agent.step.tool.output": json.dumps({"tool_messages": []})}, parent=1),
    ]
    path = tmp_path / "agent.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    rows = {row["name"]: row for row in forensics.load(path, format="otel-sdk-json").spans.to_pylist()}
    agent, llm, tool = rows["haystack.agent.run"], rows["haystack.agent.step.llm"], rows["haystack.agent.step.tool"]
    assert agent["kind"] == "agent" and json.loads(agent["input"])["messages"] == [user]
    assert json.loads(agent["output"])["messages"][-1] == answer
    assert (llm["kind"], json.loads(llm["output"])) == ("llm", {"replies": [answer]})
    assert (tool["kind"], json.loads(tool["output"])) == ("tool", {"tool_messages": []})
    # Near-miss: the step span carries no content tag, and its step number is no input or output.
    step = rows["haystack.agent.step"]
    assert (step["input"], step["output"]) == (None, None)
    assert "haystack.agent.max_steps" in json.loads(agent["attributes"])
