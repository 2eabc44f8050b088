"""A Haystack pipeline that wrote a document, retrieved nothing, and answered "none found".

deepset-ai/haystack ``haystack/core/pipeline/pipeline.py`` traces each component as
``haystack.component.run`` with ``haystack.component.name``/``type`` and, with content tracing on,
its input and output; ``haystack/components/writers/document_writer.py`` ``DocumentWriter.run``
returns ``{"documents_written": n}``. The retriever queries a document store with ``filters``; the
trace names neither the store each component was given nor the written document's meta those filters
read. And deepset-ai/haystack-core-integrations
``integrations/opensearch/src/haystack_integrations/document_stores/opensearch/document_store.py``
``write_documents(..., refresh="wait_for")`` waits for the next refresh by default ("ensures
read-your-writes consistency"), so the written document is searchable when the writer returns.

So an empty retrieval right after the run's own write is no proof that the index had not refreshed:
the document may sit in another store, or outside the filter. The answer that says nothing was found
told the user what the retrieval said (error_as_data's rule, ``error_shapes.ungrounded_retrievals``):
clean, precision first (hold24 ``haystack-opensearch-refresh-conflict-missed`` is left a miss on
purpose). The rule itself still fires where the answer claims something the empty retrieval never
gave it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from sdk_spans import sdk_span

import forensics

_QUERY = "Conflict check: new matter for Halvorsen Maritime AS v. Brightline Shipping Ltd"


def _span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0) -> dict[str, Any]:
    return sdk_span(i, name, attributes, parent, trace="be" * 16, service="legal-intake", day="2026-11-17T16:44")


def _component(i: int, name: str, type_: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return _span(i, "haystack.component.run", {
        "haystack.component.name": name, "haystack.component.type": type_,
        "haystack.component.input": json.dumps(inputs), "haystack.component.output": json.dumps(outputs),
    })


def _pipeline(tmp_path: Path, answer: str) -> list[dict[str, Any]]:
    written = {"documents": [{"id": "mtr-26-0916", "content": "Matter 26-0916: Brightline Shipping Ltd, charter-party dispute"}],
               "policy": "DuplicatePolicy.OVERWRITE"}
    spans = [
        _span(0, "haystack.pipeline.run", {"haystack.pipeline.input_data": json.dumps({"embedder": {"text": _QUERY}}),
                                           "haystack.pipeline.output_data": json.dumps({"answer_builder": {"answers": [answer]}})},
              parent=None),
        _component(1, "writer", "haystack.components.writers.document_writer.DocumentWriter", written, {"documents_written": 1}),
        _component(2, "embedder", "haystack.components.embedders.sentence_transformers_text_embedder.SentenceTransformersTextEmbedder",
                   {"text": _QUERY}, {"embedding": "[768 floats]"}),
        _component(3, "retriever", "haystack_integrations.components.retrievers.opensearch.embedding_retriever.OpenSearchEmbeddingRetriever",
                   {"query_embedding": "[768 floats]", "filters": {"field": "meta.index", "operator": "==", "value": "matters"}, "top_k": 10},
                   {"documents": []}),
        _component(4, "llm", "haystack.components.generators.openai.OpenAIGenerator",
                   {"prompt": "Given these existing matters: (none)\nQuestion: " + _QUERY}, {"replies": [answer]}),
        _component(5, "answer_builder", "haystack.components.builders.answer_builder.AnswerBuilder",
                   {"query": _QUERY, "replies": [answer]}, {"answers": [answer]}),
    ]
    path = tmp_path / "intake.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    found = forensics.classify(forensics.load(path, format="otel-sdk-json").spans).findings
    return [f for f in pl.DataFrame(pl.from_arrow(found)).to_dicts() if f["detector"] == "error_as_data"]


def test_an_answer_built_on_the_empty_retrieval_as_if_it_found_something_fires(tmp_path: Path) -> None:
    (hit,) = _pipeline(tmp_path, "Cleared: the prior Halvorsen matters show no adverse party. Proceed to engagement.")
    assert hit["decisive_span_id"] == "0000000000000004"  # the retriever whose empty output was read


def test_near_miss_none_found_after_the_runs_own_write_told_what_the_retrieval_said(tmp_path: Path) -> None:
    assert _pipeline(tmp_path, "No conflicts found: none of the parties appear in existing matters.") == []
