"""A search repeated with nothing new, as two frameworks record it: repeated_action must see it.

* langchain-tavily's TavilySearch hands the model the Tavily API's whole response, whose
  ``response_time`` and ``request_id`` are new at every call beside the same ``results`` (Tavily API
  reference, /search): the same query answered with the same links, in the same order, is the same
  result.
* CrewAI, traced by openinference-instrumentation-crewai, records a tool call as the span of
  ``ToolUsage._use(tool_string, tool, calling)`` whose ``input.value`` holds the model's whole ReAct
  text (its Thought new at every step) beside ``calling.arguments``; and CrewAI answers a call
  identical to the previous one without running the tool: "I tried reusing the same input, I must
  stop using this action input. ..." (crewAI src/crewai/tools/tool_usage.py
  ``_check_tool_repeated_usage``, translations/en.json ``task_repeated_usage``).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

LINKS = [("https://news.example.com/acme-q3", 0.91), ("https://ir.acme.com/q3-2026", 0.84)]


def _tavily(links: list[tuple[str, float]], i: int) -> str:
    raw = {"query": "Acme Corp Q3 2026 revenue", "follow_up_questions": None, "answer": None, "images": [],
           "results": [{"url": u, "title": "Acme", "content": "Acme reported revenue of $4.1B", "score": s} for u, s in links],
           "response_time": 0.9 + i * 0.17, "request_id": f"5c1b2e70-0000-4000-8000-00000000000{i}"}  # fmt: skip
    return json.dumps({"output": {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "ToolMessage"],
                                  "kwargs": {"content": json.dumps(raw), "type": "tool", "tool_call_id": f"call_{i}",
                                             "name": "tavily_search", "status": "success"}}})  # fmt: skip


def _langgraph(results: list[str], tool: str = "tavily_search") -> list[dict[str, object]]:
    rows = [span("root", 0, 60, kind="chain", name="LangGraph")]
    for i, out in enumerate(results):
        rows.append(span(f"m{i}", 1 + 5 * i, 2 + 5 * i, parent_id="root", kind="llm", model="gpt-4o", agent="agent"))
        rows.append(span(f"s{i}", 3 + 5 * i, 4 + 5 * i, parent_id="root", kind="tool", agent="tools", tool=tool,
                         input=json.dumps({"input": json.dumps({"query": "Acme Corp Q3 2026 revenue"})}), output=out))  # fmt: skip
    return rows


def test_the_same_links_under_new_response_times_are_the_same_search_result() -> None:
    assert "repeated_action" in detectors(run(*_langgraph([_tavily(LINKS, i) for i in range(4)])))


def test_near_miss_new_links_or_a_tool_that_is_no_search() -> None:
    # The second search found another page: new information.
    moved = [_tavily(LINKS, 0), _tavily([LINKS[1], LINKS[0]], 1), _tavily(LINKS, 2)]
    assert "repeated_action" not in detectors(run(*_langgraph(moved)))
    # A tool that is no search is compared by its whole result: a quote with a new timestamp each time.
    quotes = [json.dumps({"url": "https://api.example.com/q/ACME", "price": 41.2, "as_of": f"10:0{i}"}) for i in range(4)]
    assert "repeated_action" not in detectors(run(*_langgraph(quotes, tool="get_quote")))


NOTICE = "I tried reusing the same input, I must stop using this action input. I'll try something else instead.\n\n"
THOUGHTS = ["I need Acme's Q3 revenue.", "I should search again to confirm it.", "Let me search once more.", "One more search."]


def _crew(queries: list[str], results: list[str]) -> list[dict[str, object]]:
    rows = [span("task", 0, 60, kind="agent", agent="Senior Research Analyst", name="Senior Research Analyst._execute_core")]
    for i, (q, out) in enumerate(zip(queries, results, strict=True)):
        args = {"search_query": q}
        given = {"tool_string": f"Thought: {THOUGHTS[i]}\nAction: Search the internet\nAction Input: {json.dumps(args)}",
                 "tool": "<crewai.tools.structured_tool.CrewStructuredTool object at 0x7f3a9c2b1e50>",
                 "calling": {"tool_name": "Search the internet", "arguments": args}}  # fmt: skip
        rows.append(span(f"m{i}", 1 + 5 * i, 2 + 5 * i, parent_id="task", kind="llm", model="gpt-4o-mini"))
        rows.append(span(f"t{i}", 3 + 5 * i, 4 + 5 * i, parent_id="task", kind="tool", tool="Search the internet",
                         name="Search the internet._use", input=json.dumps(given), output=out))  # fmt: skip
    return rows


FOUND = "Search results: Title: Acme Q3\nLink: https://news.example.com/acme-q3\nSnippet: revenue of $4.1B\n---\n"


def test_crewai_refusing_the_same_search_again_is_a_repeat() -> None:
    same = ["Acme Corp Q3 2026 revenue"] * 4
    f = one(run(*_crew(same, [FOUND, NOTICE, NOTICE, NOTICE])), "repeated_action")
    assert f["decisive_span_id"] == "t1"  # the first repeat, which ignored the search's result
    assert "3 of them the framework refusing to run the same call again" in f["explanation"]


def test_near_miss_crewai_searches_for_other_things() -> None:
    # Other arguments each time (the Thought differs as ever): three questions, not one asked again.
    asked = ["Acme Corp Q3 2026 revenue", "Acme Corp Q3 2026 net income", "Acme Corp Q3 2026 guidance", "Acme CEO"]
    others = [FOUND.replace("acme-q3", f"acme-{i}") for i in range(4)]
    assert "repeated_action" not in detectors(run(*_crew(asked, others)))
