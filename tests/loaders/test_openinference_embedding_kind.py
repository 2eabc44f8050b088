"""OpenInference's EMBEDDING, RETRIEVER and RERANKER spans load as what they are.

Arize-ai/openinference spec/embedding_spans.md: an embedding span (name ``CreateEmbeddings``,
``openinference.span.kind`` EMBEDDING) is "a call to an embedding model or service ... used in
retrieval": ``embedding.model_name``, ``input.value`` the texts, ``output.value`` the response with
the vectors (``{"data": [{"embedding": [...], "index": 0}], ...}``), ``llm.token_count.prompt``/``total``
(no completion). It is a billed call that can fail, but no turn of the agent's model: its output is
vectors, never the agent's words. Loaded as ``llm`` it was read as one (the run's last model output,
an empty model reply, a model call in a loop); it loads as ``embedding``, a call of its own
(``CALL_KINDS``: a failure nothing handled is still a failed call, told as an embedding). RETRIEVER and RERANKER
(spec/semantic_conventions.md, ``reranker.*``; the LlamaIndex instrumentation's ReRankStartEvent ->
RERANKER, python/instrumentation/openinference-instrumentation-llama-index/.../_handler.py) are
document lookups: ``retriever``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from span_builder import findings, one

import forensics
from forensics.classify import classify

TRACE = "7a1b3b9c0d2e4f5a8b7c6d5e4f3a2b1c"
ANSWER = "Go to Settings > Keys and click Rotate; the old key stops working after 24 hours."
VECTORS = json.dumps({"data": [{"embedding": [0.1, 0.2, 0.3], "index": 0}], "model": "text-embedding-3-small",
                      "usage": {"prompt_tokens": 9, "total_tokens": 9}})


def _span(span_id: str, name: str, kind: str, start: float, end: float, parent: str | None,
          status: str = "OK", message: str = "", **attrs: Any) -> dict[str, Any]:
    return {"name": name, "context": {"trace_id": TRACE, "span_id": span_id}, "span_kind": kind,
            "parent_id": parent, "start_time": f"2025-05-02T09:15:{start:06.3f}+00:00",
            "end_time": f"2025-05-02T09:15:{end:06.3f}+00:00", "status_code": status, "status_message": message,
            "attributes": {"openinference.span.kind": kind, **attrs}, "events": []}


def _embedding(span_id: str, start: float, end: float, parent: str, text: str, failed: bool = False) -> dict[str, Any]:
    # spec/embedding_spans.md's "Text Input" example; a failed call has no output and an error status.
    out = {} if failed else {"output.value": VECTORS, "output.mime_type": "application/json",
                             "llm.token_count.prompt": 9, "llm.token_count.total": 9}
    return _span(span_id, "CreateEmbeddings", "EMBEDDING", start, end, parent,
                 status="ERROR" if failed else "OK",
                 message="RateLimitError: Error code: 429 - Rate limit reached for text-embedding-3-small" if failed else "",
                 **{"embedding.model_name": "text-embedding-3-small",
                    "input.value": json.dumps({"input": text, "model": "text-embedding-3-small"}),
                    "input.mime_type": "application/json", "embedding.embeddings.0.embedding.text": text, **out})


def _rag_run(tmp_path: Path, memory_write_fails: bool = False, after_answer: bool = True) -> Path:
    """docs-bot: embed the question and retrieve, rerank, answer; then store the exchange in memory
    (a mem0-style write after the answer: its embedding is the last model-provider call of the run)."""
    root = "a1b2c3d4e5f60718"
    spans = [
        _span(root, "rag-answer", "AGENT", 0, 6, None, **{"agent.name": "docs-bot", "input.value": "How do I rotate my API key?",
                                                          "output.value": ANSWER}),
        _span("b1b2c3d4e5f60718", "retrieve", "RETRIEVER", 0.1, 0.9, root, **{"input.value": "rotate API key",
              "retrieval.documents": [{"document.id": "kb-17", "document.content": "Keys are rotated under Settings > Keys."}]}),
        _embedding("e1b2c3d4e5f60718", 0.15, 0.4, "b1b2c3d4e5f60718", "rotate API key"),
        _span("f1b2c3d4e5f60718", "rerank", "RERANKER", 0.92, 0.98, root, **{"reranker.query": "rotate API key",
              "reranker.model_name": "cross-encoder/ms-marco-MiniLM-L-6-v2", "reranker.top_k": 1}),
        _span("c1b2c3d4e5f60718", "ChatCompletion", "LLM", 1, 4, root, **{"llm.model_name": "gpt-4o-mini",
              "llm.token_count.prompt": 2210, "llm.token_count.completion": 41, "output.value": ANSWER}),
    ]
    if after_answer:
        spans.append(_embedding("d1b2c3d4e5f60718", 4.2, 5.5, root, f"Q: How do I rotate my API key? A: {ANSWER}",
                                failed=memory_write_fails))
    path = tmp_path / "spans.json"
    path.write_text(json.dumps({"data": spans}))
    return path


def test_embedding_reranker_and_retriever_load_as_their_own_kinds(tmp_path: Path) -> None:
    df = forensics.load(_rag_run(tmp_path)).to_polars()
    kinds = dict(df.select("span_id", "kind").iter_rows())
    assert kinds["e1b2c3d4e5f60718"] == kinds["d1b2c3d4e5f60718"] == "embedding"
    assert kinds["b1b2c3d4e5f60718"] == kinds["f1b2c3d4e5f60718"] == "retriever"
    assert kinds["c1b2c3d4e5f60718"] == "llm"
    emb = df.filter(pl.col("span_id") == "e1b2c3d4e5f60718").row(0, named=True)
    assert (emb["model"], emb["input_tokens"]) == ("text-embedding-3-small", 9)
    assert emb["agent"] == "docs-bot"


def test_near_miss_a_healthy_run_ending_on_an_embedding_call_is_clean(tmp_path: Path) -> None:
    # The memory write's vectors are no model answer: the run answered, nothing failed.
    assert findings(classify(forensics.load(_rag_run(tmp_path)).spans)) == []


def test_a_failed_embedding_call_is_a_failed_call_told_as_an_embedding(tmp_path: Path) -> None:
    # The memory write's embedding failed (429), nothing retried it and the run reported success: the
    # one failure is swallowed (a call, CALL_KINDS), and the reason names it as the embedding it is.
    c = classify(forensics.load(_rag_run(tmp_path, memory_write_fails=True)).spans)
    found = one(c, "swallowed_error")
    assert found["decisive_span_id"] == "d1b2c3d4e5f60718"
    assert found["explanation"].startswith("embedding text-embedding-3-small failed with HTTP 429")
