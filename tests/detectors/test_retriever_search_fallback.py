"""A failed retriever whose step then searched the store with a search tool fell back.

A RAG agent traced with MLflow records its vector search as a RETRIEVER span and any other function
it traces as a TOOL span (mlflow/tracing ``SpanType``; ``@mlflow.trace(span_type=SpanType.TOOL)``).
When the vector index times out (Databricks Vector Search answers ``DEADLINE_EXCEEDED``), the same
step can search the same documents another way, a SQL keyword search, and answer from what it
found: another tool did the step and succeeded (TAXONOMY unhandled_error's fallback). Near misses:
no search after the failure (the answer made up without retrieval), and a search tool a later step
called under another parent (another question, not this retrieval's replacement).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

A = {"agent": "HRPolicyAgent"}
ERR = 'Exception: Response content b\'{"error_code":"DEADLINE_EXCEEDED","message":"Query timed out"}\', status_code 504'


def _session(*middle: dict[str, object]):
    return run(
        span("root", 0, 20, kind="agent", name="HRPolicyAgent.predict", output="You get 12 weeks of paid leave.", **A),
        span("ret", 1, 5, parent_id="root", kind="retriever", name="VectorSearchRetriever", status="error",
             error_type="Exception", error_message=ERR, input='{"query": "parental leave tenure"}', **A),
        *middle,
        span("ans", 8, 12, parent_id="root", kind="llm", model="llama-3-70b", output="You get 12 weeks of paid leave.",
             **A),
    )  # fmt: skip


def _search(parent: str) -> dict[str, object]:
    return span("sql", 5.5, 7, parent_id=parent, kind="tool", tool="search_handbook_sql",
                input='{"keywords": ["parental leave", "tenure"], "table": "hr.handbook_chunks"}',
                output='[{"chunk_id": "hb-7.3-02", "text": "12 weeks of paid leave"}]', **A)  # fmt: skip


def test_a_search_tool_in_the_same_step_is_the_retrievers_fallback() -> None:
    assert "swallowed_error" not in detectors(_session(_search("root")))


def test_near_miss_no_search_after_the_failure() -> None:
    assert one(_session(), "swallowed_error")["decisive_span_id"] == "ret"


def test_near_miss_a_search_under_another_parent() -> None:
    step = span("step2", 5.2, 7.5, parent_id="root", kind="chain", name="follow_up", **A)
    assert one(_session(step, _search("step2")), "swallowed_error")["decisive_span_id"] == "ret"
