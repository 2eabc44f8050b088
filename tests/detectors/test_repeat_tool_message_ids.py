"""The same search answered the same way is a repeat, though each answer names its own tool call.

LangChain runs a tool given a model's tool call into a ToolMessage naming the call it answers
(langchain_core/tools/base.py ``_format_output``: ``ToolMessage(content, ..., tool_call_id=...)``), and
LangSmith records that message, serialised, as the tool run's output. A ReAct agent that re-issues
the identical search and gets ``[]`` each time gets outputs that differ only in ``tool_call_id``.
Near miss: the content differs between the calls (new information each time).
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span

QUERY = json.dumps({"input": "{'query': 'CVE-2025-31877 nginx-ingress 1.11.2 exploit'}"})


def _message(content: str, call_id: str) -> str:
    return json.dumps({"output": {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "ToolMessage"],
                                  "kwargs": {"content": content, "type": "tool", "tool_call_id": call_id,
                                             "name": "tavily_search_results_json", "status": "success"}}})  # fmt: skip


def _searches(contents: list[str]):
    rows = [span("root", 0, 60, kind="chain", name="LangGraph")]
    for i, content in enumerate(contents):
        rows.append(span(f"m{i}", 1 + 5 * i, 2 + 5 * i, parent_id="root", kind="llm", model="gpt-4o", agent="agent"))
        rows.append(span(f"s{i}", 3 + 5 * i, 4 + 5 * i, parent_id="root", kind="tool", agent="tools",
                         tool="tavily_search_results_json", input=QUERY, output=_message(content, f"call_{i}x{i * 7}")))  # fmt: skip
    return run(*rows)


def test_the_same_empty_answer_under_new_call_ids_is_a_repeat() -> None:
    assert "repeated_action" in detectors(_searches(["[]", "[]", "[]", "[]"]))


def test_near_miss_new_content_each_time_is_no_repeat() -> None:
    found = ['[{"url": "https://nvd.nist.gov/a"}]', '[{"url": "https://nvd.nist.gov/b"}]',
             '[{"url": "https://nvd.nist.gov/c"}]', '[{"url": "https://nvd.nist.gov/d"}]']  # fmt: skip
    assert "repeated_action" not in detectors(_searches(found))
