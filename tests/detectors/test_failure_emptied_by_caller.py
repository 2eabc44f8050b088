"""A failed call whose caller caught the exception and returned an empty result: unhandled and swallowed.

Traceloop's @task and Langfuse's @observe wrap an application function in a span of its own (kind
chain) that ends OK when the function returns; a function written ``except Exception: return ""``
around a model call leaves that span OK with an empty output over the failed call (Traceloop writes
the return value as JSON, '""'). Nothing retried the call, no other model was tried, no failure
result was given: the run carried on with nothing (unhandled_error), and it reported success over
it (swallowed_error).
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, run, span


def _digest(summary_output: str | None) -> list[dict[str, Any]]:
    return [
        span("root", 0, 10, kind="chain", name="daily_digest", output='{"status": "posted"}'),
        span("fetch", 1, 2, parent_id="root", kind="chain", name="fetch_incidents", output='{"count": 14}'),
        span("summ", 3, 5, parent_id="root", kind="chain", name="summarize_incidents", output=summary_output),
        span("chat", 3.1, 4.5, parent_id="summ", kind="llm", model="claude-sonnet-4-5", status="error",
             error_type="OverloadedError", error_message="Error code: 529 - overloaded_error"),
        span("post", 6, 7, parent_id="root", kind="chain", name="post_digest", output='{"ok": true}'),
    ]


def test_model_call_emptied_by_its_caller_is_unhandled_and_swallowed() -> None:
    for empty in ("", '""', "  "):
        found = detectors(run(*_digest(empty)))
        assert {"unhandled_error", "swallowed_error"} <= found, (empty, found)


def test_caller_that_returned_something_or_recorded_nothing_leaves_it_to_swallowed_error() -> None:
    # Near-misses: the caller returned a value in the failure's place (a default text), or recorded
    # no output at all: the run reported success over the failure, swallowed_error's alone.
    for output in ("No incidents to summarise today.", None):
        found = detectors(run(*_digest(output)))
        assert "swallowed_error" in found and "unhandled_error" not in found, (output, found)


# A LangGraph node (its run: kind agent) calls a chain built with ``with_fallbacks(exceptions_to_handle=
# (RateLimitError,))``: an APITimeoutError is not in the tuple, so RunnableWithFallbacks re-raises it
# without running the fallback (langchain_core/runnables/fallbacks.py) and its run fails too; the node
# catches it and returns the state update {"summary": ""} (a LangGraph node returns the channels it
# updates). The failure went up through the wrapper to a caller that emptied it.
def _node_over_fallbacks(node_output: str, fallback_ran: bool = False) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 70, kind="chain", name="LangGraph", output='{"date": "2025-05-26"}'),
        span("node", 5, 65, parent_id="root", kind="agent", name="summarize", output=node_output),
        span("wrap", 5.1, 64, parent_id="node", kind="chain", name="RunnableWithFallbacks",
             status="ok" if fallback_ran else "error",
             error_type=None if fallback_ran else "APITimeoutError",
             error_message=None if fallback_ran else "Request timed out."),
        span("chat", 5.2, 63, parent_id="wrap", kind="llm", model="gpt-4o", status="error",
             error_type="APITimeoutError", error_message="Request timed out."),
    ]
    if fallback_ran:
        rows.append(span("chat2", 63.1, 63.9, parent_id="wrap", kind="llm", model="gpt-4o-mini", output="3 incidents ..."))
    rows.append(span("post", 66, 67, parent_id="root", kind="agent", name="post_to_slack", output='{"ok": true}'))
    return rows


def test_failure_up_through_a_failed_fallbacks_wrapper_to_a_node_that_returned_an_empty_update() -> None:
    found = detectors(run(*_node_over_fallbacks('{"summary": ""}')))
    assert {"unhandled_error", "swallowed_error"} <= found, found


def test_node_that_returned_a_summary_or_a_fallback_that_answered_is_not_emptied() -> None:
    # Near-misses: the node returned text in the failure's place (swallowed_error's alone); the
    # wrapper's fallback model answered (a declared fallback followed: no unhandled_error).
    found = detectors(run(*_node_over_fallbacks('{"summary": "No incidents."}')))
    assert "unhandled_error" not in found, found
    found = detectors(run(*_node_over_fallbacks('{"summary": ""}', fallback_ran=True)))
    assert "unhandled_error" not in found, found


# A RAG agent's predict (an MLflow ChatAgent, a LangChain chain) calls its retriever, then builds the
# prompt from the documents. databricks-vectorsearch raises a plain Exception("Response content ...,
# status_code 504") from RequestUtils.issue_request (databricks/vector_search/utils.py); code that
# catches it (``except Exception: docs = []``) and generates anyway hands the model an empty context:
# no retry, no other search, no failure result. The retriever span fails, its caller ends OK.
def _rag(between: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 40, kind="agent", name="PolicyAgent.predict",
             output='{"messages": [{"role": "assistant", "content": "You get 20 days."}]}'),
        span("rw", 0.1, 1.5, parent_id="root", kind="llm", model="databricks-meta-llama-3-3-70b-instruct",
             output="annual leave days entitlement"),
        span("ret", 1.6, 31.6, parent_id="root", kind="retriever", name="VectorSearchRetriever", status="error",
             error_type="Exception",
             error_message='Response content b\'{"error_code":"DEADLINE_EXCEEDED"}\', status_code 504'),
        *(between or []),
        span("gen", 33, 39, parent_id="root", kind="llm", model="databricks-meta-llama-3-3-70b-instruct",
             output="You get 20 days of annual leave."),
    ]
    return rows


def test_a_failed_retrieval_its_caller_generated_past_is_unhandled_and_swallowed() -> None:
    found = detectors(run(*_rag()))
    assert {"unhandled_error", "swallowed_error"} <= found, found


def test_near_miss_another_search_or_the_search_again_before_the_generation() -> None:
    # A keyword search ran as the fallback before the generation, or the same search was sent again
    # and answered: the model got documents, the caller emptied nothing. (Whether swallowed_error
    # reads the keyword search as making the failure good is its own rule's business.)
    keyword = span("kw", 31.7, 32.5, parent_id="root", kind="tool", name="search_handbook_sql",
                   output='[{"chunk_id": "hb-4.1", "text": "20 days ..."}]')
    again = span("ret2", 31.7, 32.9, parent_id="root", kind="retriever", name="VectorSearchRetriever",
                 output='[{"id": "hb-4.1", "text": "20 days ..."}]')
    for made_good in (keyword, again):
        found = detectors(run(*_rag([made_good])))
        assert "unhandled_error" not in found, (made_good["span_id"], found)
