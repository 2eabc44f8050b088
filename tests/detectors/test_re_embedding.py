"""runaway_cost.re_embedded_corpus: the corpus embedded again for each question after it was searched.

Firing shape, from the framework's own code: DSPy's ``dspy.Embeddings(corpus, embedder)`` embeds
the whole corpus when it is constructed (stanfordnlp/dspy ``dspy/retrievers/embeddings.py``
``__init__``: ``self.corpus_embeddings = self.embedder(self.corpus)``) and embeds only the query
when called (``_batch_forward``: ``self.embedder(queries)``). A program that constructs it inside
its per-question ``forward`` pays for the corpus on every question; OpenInference records each
embedder call as an EMBEDDING span (``openinference.span.kind``, ``embedding.model_name``,
``llm.token_count.prompt``; Arize-ai/openinference ``spec/embedding_spans.md``) and the search as a
RETRIEVER span.

Near misses: the same program with the retriever constructed once (the corpus embedded once, then
only queries), the same short query embedded twice (a question asked again: a few tokens), and an
embedding call retried after it failed (no search of its vectors in between).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

MODEL = "text-embedding-3-small"
CORPUS = json.dumps({"corpus": [f"Policy section {i}: leave, travel and expenses." for i in range(6)]})
QUESTIONS = ["Who approves travel above budget?", "How many leave days carry over?", "Is parking reimbursed?"]


def _embed(sid: str, t: float, text: str, tokens: int, **kw: object) -> dict:
    return span(sid, t, t + 2, parent_id="root", kind="embedding", name="Embedder.__call__", model=MODEL,
                input=text, input_tokens=tokens, **kw)  # fmt: skip


def _question(i: int, t: float, q: str) -> list[dict]:
    """The search over the vectors, then the answer (a ChainOfThought's one model call)."""
    return [
        span(f"search{i}", t, t + 0.4, parent_id="root", kind="retriever", name="Embeddings.forward", input=q,
             output=json.dumps({"passages": ["Policy section 2: ..."], "indices": [2]})),
        span(f"cot{i}", t + 0.5, t + 3, parent_id="root", kind="llm", name="LM.__call__", model="gpt-4o-mini",
             input=q, output="The regional CFO.", input_tokens=1_420, output_tokens=96),
    ]  # fmt: skip


def _root() -> dict:
    return span("root", 0, 900, kind="chain", name="PolicyQA.forward", input=json.dumps({"questions": QUESTIONS}),
                output=json.dumps({"answers": ["...", "...", "..."]}))  # fmt: skip


def _per_question_index() -> list[dict]:
    rows = [_root()]
    for i, q in enumerate(QUESTIONS):
        t = 1 + 200 * i
        rows += [_embed(f"corpus{i}", t, CORPUS, 14_210_388), *_question(i, t + 150, q)]
    return rows


def test_corpus_embedded_again_for_each_question_is_runaway_cost() -> None:
    """Three questions, the corpus embedded before each: the second embedding is decisive (the
    first repeat, after the first search used the vectors), and the finding counts the tokens."""
    f = one(run(*_per_question_index()), "re_embedded_corpus")
    assert f["failure_class"] == "runaway_cost"
    assert f["decisive_span_id"] == "corpus1"
    assert f["evidence_span_ids"] == ["corpus0", "corpus1", "corpus2"]
    assert "again 2 time(s)" in f["explanation"] and "28420776 tokens re-embedded" in f["explanation"]


def test_near_miss_index_built_once_then_searched_is_clean() -> None:
    """The retriever constructed once: the corpus embedded once, each question embeds only itself."""
    rows = [_root(), _embed("corpus", 1, CORPUS, 14_210_388)]
    for i, q in enumerate(QUESTIONS):
        t = 200 + 10 * i
        rows += [_embed(f"query{i}", t, json.dumps([q]), 9), *_question(i, t + 1, q)]
    assert "re_embedded_corpus" not in detectors(run(*rows))


def test_near_miss_same_short_query_embedded_twice_is_clean() -> None:
    """A question asked again embeds its query again: a few tokens, not what the run spent."""
    rows = [_root(), _embed("corpus", 1, CORPUS, 14_210)]
    for i, q in enumerate([QUESTIONS[0], QUESTIONS[0]]):
        t = 200 + 10 * i
        rows += [_embed(f"query{i}", t, json.dumps([q]), 9), *_question(i, t + 1, q)]
    assert "re_embedded_corpus" not in detectors(run(*rows))


def test_near_miss_embedding_retried_after_it_failed_is_clean() -> None:
    """The first embedding call failed (a rate limit): the retry computes vectors nobody had."""
    rows = [
        _root(),
        _embed("corpus0", 1, CORPUS, 14_210_388, status="error", error_type="RateLimitError"),
        _embed("corpus1", 60, CORPUS, 14_210_388),
        *_question(0, 200, QUESTIONS[0]),
    ]
    assert "re_embedded_corpus" not in detectors(run(*rows))


def _oi_embed(sid: str, t: float, texts: list[str], tokens: int) -> dict:
    """An OpenInference EMBEDDING span with no input.value: the texts as
    ``embedding.embeddings.<i>.embedding.text`` (spec/embedding_spans.md), the count as ``llm.token_count.prompt``."""
    attrs = {"openinference.span.kind": "EMBEDDING", "embedding.model_name": MODEL, "llm.token_count.prompt": tokens}
    attrs |= {f"embedding.embeddings.{i}.embedding.text": x for i, x in enumerate(texts)}
    return span(sid, t, t + 2, parent_id="root", kind="embedding", name="CreateEmbeddings", model=MODEL,
                input_tokens=tokens, attributes=json.dumps(attrs))  # fmt: skip


DOCS = [f"Handbook section {i}: leave and benefits." for i in range(8)]


def test_openinference_texts_embedded_again_after_a_search_is_runaway_cost() -> None:
    """The same handbook texts in two EMBEDDING spans' attributes, a search between: the texts are the identity."""
    rows = [_root(), _oi_embed("e0", 1, DOCS, 2_406_118), *_question(0, 100, QUESTIONS[0]),
            _oi_embed("e1", 200, DOCS, 2_406_118), *_question(1, 300, QUESTIONS[1])]  # fmt: skip
    assert one(run(*rows), "re_embedded_corpus")["decisive_span_id"] == "e1"


def test_near_miss_openinference_other_texts_of_the_same_size_are_clean() -> None:
    """Two batches of a chunked ingestion, the same token count, different texts: no repeat."""
    rows = [_root(), _oi_embed("e0", 1, DOCS[:4], 1_200_000), *_question(0, 100, QUESTIONS[0]),
            _oi_embed("e1", 200, DOCS[4:], 1_200_000), *_question(1, 300, QUESTIONS[1])]  # fmt: skip
    assert "re_embedded_corpus" not in detectors(run(*rows))
