"""A knowledge-base tool whose vector-store query found nothing, under a confident answer.

An agent's own ``@tool`` (traceloop-sdk ``decorators/base.py``: ``traceloop.span.kind`` tool, the
function's JSON-encoded return as ``traceloop.entity.output``) queries Pinecone itself; OpenLLMetry's
Pinecone instrumentation opens a CLIENT span ``pinecone.query`` under it with ``db.system``
"Pinecone" (traceloop/openllmetry ``opentelemetry-instrumentation-pinecone`` ``__init__.py``
``_wrap``: ``SpanAttributes.VECTOR_DB_VENDOR``) and one ``db.query.result`` event per match
(``query_handlers.py`` ``set_query_response``). The tool returned ``[]`` and the model answered
anyway: an empty result where data was expected (TAXONOMY error_as_data), as for a retriever span.
Near misses: the query found a passage; a tool that returned ``[]`` with no vector query under it
(nothing open is an answer); an answer that tells the user the knowledge-base search failed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from otlp_trace import classify_otlp, otlp_span

ASK = "Our authenticator codes stopped working after the phone swap; users see 'code expired'. What do we change?"
ANSWER = ("Open Settings > Security, choose 'Reset authenticator' for each affected user and have them scan the new "
          "QR code; the 'code expired' error goes away once their phone clock syncs.")  # fmt: skip
PASSAGE = json.dumps([{"id": "kb-2fa-12", "text": "After a device change, reset the authenticator in Settings > Security."}])


def _spans(result: str, *, vector_query: bool = True, answer: str = ANSWER) -> list[dict[str, object]]:
    wf = {"traceloop.span.kind": "workflow", "traceloop.entity.name": "support_graph",
          "traceloop.entity.input": json.dumps({"question": ASK}), "traceloop.entity.output": json.dumps(answer)}  # fmt: skip
    chat = {"llm.request.type": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4.1",
            "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": ASK}  # fmt: skip
    tool = {"traceloop.span.kind": "tool", "traceloop.entity.name": "search_kb",
            "traceloop.entity.input": json.dumps({"args": [], "kwargs": {"query": "authenticator code expired phone swap"}}),
            "traceloop.entity.output": result}  # fmt: skip
    query = {"db.system": "Pinecone", "pinecone.query.top_k": 5, "pinecone.query.namespace": "tenant-eu"}
    spans = [
        otlp_span("a000000000000001", "", "support_graph.workflow", 0, 9000, wf),
        otlp_span("a000000000000002", "a000000000000001", "openai.chat", 100, 1500,
                  {**chat, "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls"}, kind=3),
        otlp_span("a000000000000003", "a000000000000001", "search_kb.tool", 1600, 2600, tool),
        otlp_span("a000000000000005", "a000000000000001", "openai.chat", 2700, 8900,
                  {**chat, "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": answer}, kind=3),
    ]  # fmt: skip
    if vector_query:
        spans.insert(3, otlp_span("a000000000000004", "a000000000000003", "pinecone.query", 1700, 2500, query, kind=3))
    return spans


def _found(tmp_path: Path, **kw: object) -> set[str]:
    result = kw.pop("result", "[]")
    return set(classify_otlp(_spans(str(result), **kw), tmp_path / "t.json", scope="traceloop.sdk")["detector"])  # type: ignore[arg-type]


def test_an_empty_vector_query_under_a_confident_answer_is_error_as_data(tmp_path: Path) -> None:
    found = classify_otlp(_spans("[]"), tmp_path / "t.json", scope="traceloop.sdk")
    row = found.filter(found["detector"] == "error_as_data").row(0, named=True)
    assert row["decisive_span_id"] == "a000000000000003"


@pytest.mark.parametrize(
    "kw",
    [
        {"result": PASSAGE},
        {"vector_query": False},
        {"answer": "Sorry, our knowledge base search is unavailable right now; I've noted your question for the team."},
    ],
    ids=["found-a-passage", "no-vector-query", "answer-says-search-failed"],
)
def test_near_miss_stays_clean_of_error_as_data(tmp_path: Path, kw: dict[str, object]) -> None:
    assert "error_as_data" not in _found(tmp_path, **kw)
