"""Where an error was read as data: the call the agent read, the answer that passed it on, the call
a sub-agent's failed report began with.

* LlamaIndex: QueryEngineTool.call -> RetrieverQueryEngine.query -> VectorIndexRetriever.retrieve
  returned no node, and the tool answered "Empty Response" (the response synthesizer's text with no
  nodes). The agent read the tool's result: that call is decisive. Near miss: a retriever the agent
  called itself, with no tool above it, stays decisive.
* smolagents: a managed agent whose visit_webpage got a 429 answered, through its final_answer,
  "Error: ... 429 Too Many Requests": it told its manager; what the manager read as data is that
  answer (the manager's own final_answer later is no retry of it). Near miss: a managed agent that
  answered a price anyway read the 429 itself.
* A delegated agent whose report says it failed, over a failed call of its own (a crashed license
  scan): the failure began at that call. Near miss: a failed report with no failed call is named
  by the report.
"""

from __future__ import annotations

from span_builder import one, run, span

ANSWER = "Fathers in the Lisbon office get 20 working days of fully paid parental leave under the HR handbook."


def test_an_empty_retrieval_inside_a_tool_is_named_by_the_tool() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="ReActAgent.run", input="Parental leave for fathers in Lisbon?", output=ANSWER),
        span("l1", 1, 1.5, parent_id="root", kind="llm", model="gpt-4o", output="Thought: look it up. Action: hr_policies"),
        span("qt", 2, 3, parent_id="root", kind="tool", tool="hr_policies", name="QueryEngineTool.call",
             input='{"input": "paternity leave Lisbon"}', output="Empty Response"),  # fmt: skip
        span("qe", 2.1, 2.9, parent_id="qt", kind="chain", name="RetrieverQueryEngine.query", output="Empty Response"),
        span("rt", 2.2, 2.3, parent_id="qe", kind="retriever", name="VectorIndexRetriever.retrieve", output="[]"),
        span("l2", 4, 4.5, parent_id="root", kind="llm", model="gpt-4o", output=f"Answer: {ANSWER}"),
    )
    assert one(c, "error_as_data")["decisive_span_id"] == "qt"


def test_near_miss_a_retriever_with_no_tool_above_stays_decisive() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="rag", input="Parental leave for fathers in Lisbon?", output=ANSWER),
        span("rt", 2, 2.3, parent_id="root", kind="retriever", name="VectorIndexRetriever.retrieve", output="[]"),
        span("l2", 4, 4.5, parent_id="root", kind="llm", model="gpt-4o", output=ANSWER),
    )
    assert one(c, "error_as_data")["decisive_span_id"] == "rt"


ERR = "Error fetching the webpage: 429 Client Error: Too Many Requests for url: https://www.atlassian.com/pricing"


def _managed(report: str):
    final = "Notion costs $20/user/month; Confluence Premium is $11.55/user/month, so Confluence is cheaper."
    return run(
        span("mgr", 0, 30, kind="agent", name="CodeAgent.run", agent="manager", output=final),
        span("m1", 1, 1.5, parent_id="mgr", kind="llm", agent="manager", model="gpt-4o", output="web_agent(task='Confluence price')"),
        span("web", 2, 12, parent_id="mgr", kind="agent", name="ToolCallingAgent.run", agent="web_agent", output=report),
        span("v1", 3, 4, parent_id="web", kind="tool", tool="visit_webpage", agent="web_agent",
             input='{"url": "https://www.atlassian.com/pricing"}', output=ERR),  # fmt: skip
        span("fa1", 10, 10.5, parent_id="web", kind="tool", tool="final_answer", agent="web_agent",
             input=f'{{"answer": "{report}"}}', output=report),  # fmt: skip
        span("m2", 13, 13.5, parent_id="mgr", kind="llm", agent="manager", model="gpt-4o", output=f"final_answer('{final}')"),
        span("fa2", 14, 14.5, parent_id="mgr", kind="tool", tool="final_answer", agent="manager", input="{}", output=final),
    )


def test_an_error_a_managed_agent_answered_with_is_read_at_its_answer() -> None:
    c = _managed("Error: could not retrieve https://www.atlassian.com/pricing: 429 Too Many Requests. No price available.")
    assert one(c, "error_as_data")["decisive_span_id"] == "fa1"


def test_near_miss_a_managed_agent_answering_a_price_read_the_429_itself() -> None:
    c = _managed("Confluence Premium: $11.55 per user per month.")
    assert one(c, "error_as_data")["decisive_span_id"] == "v1"


def _release(failed_scan: bool):
    scan = span("scan", 3, 4, parent_id="chk", kind="tool", tool="scan_licenses", agent="compliance_checker",
                status="error" if failed_scan else "ok", error_type="subprocess.CalledProcessError" if failed_scan else None,
                output=None if failed_scan else '{"licenses": "unknown"}')  # fmt: skip
    return run(
        span("orc", 0, 20, kind="agent", name="release_orchestrator", agent="release_orchestrator",
             output="Release v3.8.0 published. Compliance check passed with no license violations."),  # fmt: skip
        span("chk", 2, 6, parent_id="orc", kind="agent", name="compliance_checker", agent="compliance_checker",
             output='{"status": "failed", "violations": null, "error": "license scan did not complete"}'),  # fmt: skip
        scan,
        span("l1", 7, 7.5, parent_id="orc", kind="llm", agent="release_orchestrator", model="gpt-4.1", output="No violations; publishing."),
        span("pub", 8, 9, parent_id="orc", kind="tool", tool="publish_release", agent="release_orchestrator",
             input='{"version": "3.8.0"}', output='{"published": true}'),  # fmt: skip
    )


def test_a_failed_report_over_a_failed_call_began_at_the_call() -> None:
    assert one(_release(True), "failed_report_passed_on")["decisive_span_id"] == "scan"


def test_near_miss_a_failed_report_with_no_failed_call_is_named_by_the_report() -> None:
    assert one(_release(False), "failed_report_passed_on")["decisive_span_id"] == "chk"
