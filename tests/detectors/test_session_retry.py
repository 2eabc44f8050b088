"""A LangGraph run that failed on a 503, its request sent again by the app as the thread's next run.

openinference-instrumentation-langchain (Arize-ai/openinference python/instrumentation/
openinference-instrumentation-langchain/src/openinference/instrumentation/langchain/_tracer.py
``_metadata``) writes the run's ``metadata`` as a JSON attribute and its ``thread_id`` (or
``session_id``, ``conversation_id``) as ``session.id`` on every span: each ``graph.invoke`` of the
thread is its own trace under a ``LangGraph`` chain span, the node (``agent``) a chain under it and
the model call an LLM span. The model answered 503 (openai-python raises ``InternalServerError``),
the graph raised, the run ended in error; the chat app caught the error and sent the user's message
again with the same ``thread_id``, and that run answered. Read run by run, the first run's failure
was never retried (unhandled_error); read as the thread, the request was retried and answered.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pyarrow as pa
from span_builder import detectors, findings, one, span, spans

from forensics.classify import classify
from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.policy import resolve_policy

ASK = json.dumps({"messages": [{"role": "user", "content": "What is the status of order 4471?"}]})
ANSWER = "Order 4471 shipped on Monday and should arrive Thursday."
OVERLOADED = "Error code: 503 - {'error': {'message': 'The server is overloaded', 'type': 'server_error'}}"


def _run(
    rid: str, start: float, *, ok: bool = True, ask: str = ASK, thread: str = "thread-9c2"
) -> list[dict[str, Any]]:
    meta = json.dumps({"thread_id": thread, "langgraph_step": 1, "langgraph_node": "agent"})
    attrs = json.dumps({"session.id": thread, "metadata": meta})
    status = "ok" if ok else "error"
    error = {} if ok else {"error_type": "openai.InternalServerError", "error_message": OVERLOADED}
    common = {"session_id": thread, "attributes": attrs, "run_id": rid, "status": status, **error}
    out = json.dumps({"messages": [{"role": "assistant", "content": ANSWER}]}) if ok else None
    return [
        span(
            f"{rid}-root", start, start + 4, kind="chain", name="LangGraph", input=ask, output=out, **common
        ),
        span(
            f"{rid}-agent",
            start + 0.1,
            start + 3.9,
            kind="chain",
            name="agent",
            parent_id=f"{rid}-root",
            **common,
        ),
        span(
            f"{rid}-llm",
            start + 0.2,
            start + 3.8,
            kind="llm",
            name="ChatOpenAI",
            model="gpt-4o",
            parent_id=f"{rid}-agent",
            output=ANSWER if ok else None,
            **common,
        ),
    ]


def _classify(*runs: list[dict[str, Any]]) -> Any:
    return classify(pa.concat_tables([spans(*r, run_id=r[0]["run_id"]) for r in runs]))


def test_near_miss_the_app_sent_the_failed_request_again_and_it_was_answered() -> None:
    c = _classify(_run("r1", 0, ok=False), _run("r2", 12))
    assert not findings(c)


def test_the_retry_is_the_evidence_of_handling() -> None:
    table = pa.concat_tables(
        [spans(*r, run_id=r[0]["run_id"]) for r in (_run("r1", 0, ok=False), _run("r2", 12))]
    )
    ctx = prepare(pl.DataFrame(pl.from_arrow(table)), resolve_policy(None))
    handled = {
        d["span_id"]: (d["handled_by"], d["handled_span_id"]) for d in failure_handling(ctx).to_dicts()
    }
    assert handled["r1-llm"] == ("retry", "r2-root")  # the resent run that answered


def test_the_next_run_never_came() -> None:
    f = one(_classify(_run("r1", 0, ok=False)), "unhandled_error")
    assert f["run_id"] == "r1" and f["decisive_span_id"] == "r1-llm"


def test_the_resend_failed_too_the_last_attempt_is_unhandled() -> None:
    c = _classify(_run("r1", 0, ok=False), _run("r2", 12, ok=False))
    assert [f["run_id"] for f in findings(c, "unhandled_error")] == ["r2"]
    # Three attempts, the third answered: the whole chain was retried into an answer.
    assert not findings(_classify(_run("r1", 0, ok=False), _run("r2", 12, ok=False), _run("r3", 24)))


def test_another_request_another_thread_or_later_is_no_retry() -> None:
    other = ASK.replace("4471", "5120")
    assert "unhandled_error" in detectors(_classify(_run("r1", 0, ok=False), _run("r2", 12, ask=other)))
    assert "unhandled_error" in detectors(
        _classify(_run("r1", 0, ok=False), _run("r2", 12, thread="thread-0b7"))
    )
    # The user asked the same words again ten minutes later: a request of their own.
    assert "unhandled_error" in detectors(_classify(_run("r1", 0, ok=False), _run("r2", 604)))
    # Another turn of the thread between them: the app did not resend the failed one.
    between = ASK.replace("What is the status of order 4471?", "Thanks, and my invoice?")
    c = _classify(_run("r1", 0, ok=False), _run("r2", 6, ask=between), _run("r3", 12))
    assert [f["run_id"] for f in findings(c, "unhandled_error")] == ["r1"]
