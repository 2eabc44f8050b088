"""An embeddings call refused for quota, and the agent answered from nothing without saying so.

A RAG agent's retriever embeds the query first (LlamaIndex's OpenAIEmbedding under the retriever's
span; openinference-instrumentation-llama-index _handler.py records it as an EMBEDDING span with
embedding.model_name, loaded as kind llm). OpenAI refuses it with a 429 whose body is
``{"error": {"type": "insufficient_quota", "code": "insufficient_quota", "message": "You exceeded
your current quota, please check your plan and billing details."}}`` (openai-python raises it as
RateLimitError with that body in its message: _base_client.py _make_status_error); the retriever
hands back no documents and the chat model answers anyway. The chat model's later call was read as
the failed call's fallback (another model of the same agent): a chat model answering does not embed
the query, so the failure was never made good and the run reported success over it. Twins: the
agent says it could not search the documents (clean), and the query embedded by another embeddings
model after the refusal (a real fallback: clean).
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, one, run, span

QUOTA = (
    "Error code: 429 - {'error': {'message': 'You exceeded your current quota, please check your plan and billing "
    "details.', 'type': 'insufficient_quota', 'param': None, 'code': 'insufficient_quota'}}"
)
QUESTION = "What is our refund policy for damaged items?"
DOCS = '[{"text": "Damaged items may be returned within 30 days for a full refund.", "score": 0.82}]'


def _rag(answer: str, *, fallback: bool = False) -> list[dict[str, Any]]:
    rows = [
        span("root", 0, 10, kind="agent", name="rag_agent", agent="rag_agent", input=QUESTION, output=answer),
        span("ret", 1, 2.5, parent_id="root", kind="retriever", name="VectorIndexRetriever.retrieve",
             input=QUESTION, output=DOCS if fallback else "[]"),
        span("emb", 1.1, 1.5, parent_id="ret", kind="llm", name="OpenAIEmbedding.get_query_embedding",
             model="text-embedding-3-small", status="error", error_type="RateLimitError", error_message=QUOTA),
        span("llm", 3, 9, parent_id="root", kind="llm", name="OpenAI.chat", model="gpt-4o",
             input=f"Context information is below.\n---------------------\n\n---------------------\nQuery: {QUESTION}",
             output=answer),
    ]  # fmt: skip
    if fallback:
        rows.append(span("emb2", 1.6, 2.0, parent_id="ret", kind="llm", name="OllamaEmbedding.get_query_embedding",
                         model="nomic-embed-text", output="[0.012, -0.044, 0.031]"))  # fmt: skip
    return rows


def test_an_embeddings_quota_error_answered_over_is_swallowed() -> None:
    c = run(*_rag("Damaged items can be returned within 30 days for a full refund."))
    hit = one(c, "swallowed_error")
    assert hit["decisive_span_id"] == "emb"
    assert "429" in hit["explanation"]


def test_near_miss_the_agent_said_it_could_not_search_the_documents() -> None:
    told = "I couldn't search the policy documents just now (the search service is unavailable), so I can't answer that."
    assert detectors(run(*_rag(told))) == set()


def test_near_miss_another_embeddings_model_embedded_the_query() -> None:
    assert detectors(run(*_rag("Damaged items can be returned within 30 days for a full refund.", fallback=True))) == set()
