"""runaway_cost's re_embedded_corpus: a run embedded the same input again after searching what it had embedded.

A retrieval pipeline embeds its corpus once into a vector index and then, per question, embeds only
the query and searches the index. A program that builds the index inside its per-question step
embeds the whole corpus again for every question: DSPy's ``dspy.Embeddings(corpus=..., embedder=...)``
embeds the corpus when it is constructed (``dspy/retrievers/embeddings.py`` ``__init__``:
``self.corpus_embeddings = self.embedder(self.corpus)``), so a module that constructs it in
``forward`` pays for the corpus on each call; LangChain's ``FAISS.from_documents`` /
``InMemoryVectorStore.from_documents`` embed every document they are given
(``langchain_core/vectorstores/base.py`` ``from_documents`` -> ``from_texts`` ->
``embedding.embed_documents``) and likewise when called per question.

The log shows it without a budget: an embedding call (``kind`` embedding: OpenInference
``openinference.span.kind`` EMBEDDING, OpenTelemetry GenAI ``gen_ai.operation.name`` embeddings,
an MLflow / LangSmith embedding span) with the same model and the very same input (conventions ``embedded_inputs``: its recorded input,
else the texts an OpenInference span records) as an earlier successful one in the same run, with a search (a retriever
or tool span) between them: the first vectors were computed and searched, then computed again. It is
runaway cost where the re-embedding cost more than everything else the run did: the repeats' tokens
exceed the tokens of all its other calls (every call but those that embedded that input; a ratio the
run itself gives). The same short query embedded twice
costs a few tokens and stays clean; an index built once and then searched for every question has
no repeat.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.rollups import without_rollups
from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.registry import register

#: Span kinds that search: a retriever, or a tool (a search tool wraps its retriever).
_SEARCH_KINDS: Final = ("retriever", "tool")
#: At most this many repeats are named as evidence (the first ones).
EVIDENCE_REPEATS: Final = 20


def re_embeddings(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, model, embedded_key, tokens, key_tokens, t, seq, first_id, first_t``: each
    embedding call that embedded again what an earlier successful call of its run had (same model,
    same input), after a search; ``key_tokens`` the tokens of every call that embedded that input."""
    # Only the runs holding an embedding call, and only the columns read, are ordered.
    s = (
        ctx.spans.lazy()
        .select("run_id", "span_id", "kind", "model", "embedded_key", "succeeded", "input_tokens", "output_tokens", "t", "seq")
        .filter((pl.col("kind") == "embedding").any().over("run_id"))
        .sort("run_id", "seq")
    )
    searched = pl.col("kind").is_in(_SEARCH_KINDS).cast(pl.Int64).cum_sum().over("run_id")
    calls = (
        s.with_columns(searched.alias("_searched"))
        .filter((pl.col("kind") == "embedding") & pl.col("succeeded"))
        # What it embedded (conventions embedded_inputs: its input, else its OpenInference texts).
        .filter(pl.col("embedded_key").is_not_null())
        .with_columns((pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0)).alias("tokens"))
    )
    same = ["run_id", "model", "embedded_key"]
    return (
        calls.with_columns(
            pl.col("_searched").shift(1).over(same).alias("_searched_before"),
            pl.col("span_id").first().over(same).alias("first_id"),
            pl.col("t").first().over(same).alias("first_t"),
            pl.col("tokens").sum().over(same).alias("key_tokens"),
        )
        # Searched since the same input was last embedded: the earlier vectors were used, then made again.
        .filter((pl.col("_searched") > pl.col("_searched_before")).fill_null(False))
        .select(
            "run_id",
            "span_id",
            "model",
            "embedded_key",
            "tokens",
            "key_tokens",
            "t",
            "seq",
            "first_id",
            "first_t",
        )
    )


@register
class ReEmbeddedCorpus(Detector):
    name = "re_embedded_corpus"
    failure_class = "runaway_cost"
    scope = "run"
    severity = "medium"
    strength = "strong"
    description = (
        "An embedding call embedded again what an earlier successful embedding call of the same run had "
        "(same model, the same input: its recorded input, else the texts an OpenInference span records, "
        "embedding.embeddings.<i>.embedding.text), with a search (a retriever or tool span) between them, and those "
        "repeats' tokens exceed all the run's other tokens (every call but those that embedded that input): the corpus was embedded and searched, "
        "then embedded again for the next question (a DSPy Embeddings or a LangChain vector store built "
        "per question). The same short query embedded twice, or an index built once and then searched, "
        "stays clean. Decisive: the first repeat."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        repeats = re_embeddings(ctx).collect()
        # What the runs with a repeat spent in all (a rollup span's sum not counted twice).
        judged = ctx.spans.filter(pl.col("run_id").is_in(repeats.get_column("run_id").unique().implode()))
        spent = (
            without_rollups(judged)
            .lazy()
            .group_by("run_id")
            .agg((pl.col("input_tokens").fill_null(0) + pl.col("output_tokens").fill_null(0)).sum().alias("run_tokens"))
        )
        # Each input embedded again is counted once in what its calls spent (first call and repeats).
        once = pl.struct("model", "embedded_key").is_first_distinct()
        per_run = (
            repeats.lazy()
            .sort("run_id", "seq")
            .with_columns(once.over("run_id").alias("_once"))
            .group_by("run_id")
            .agg(
                pl.col("span_id").first().alias("decisive"),
                pl.col("first_id").first(),
                pl.col("first_t").first(),
                pl.col("model").first(),
                pl.col("t").first(),
                pl.col("tokens").sum().alias("wasted"),
                pl.col("key_tokens").filter("_once").sum().alias("keyed"),
                pl.len().alias("n"),
                pl.col("span_id").head(EVIDENCE_REPEATS).alias("ids"),
            )
            .join(spent, on="run_id")
            # Embedding again what it had embedded cost more than everything else the run did (its
            # other calls: the questions answered, other embeddings), the first embedding aside.
            .filter((pl.col("wasted") > pl.col("run_tokens") - pl.col("keyed")) & (pl.col("wasted") > 0))
        )
        return per_run.select(
            finding(
                "run_id",
                pl.concat_list(pl.col("first_id"), pl.col("ids")),
                "decisive",
                pl.format(
                    "embedding model {} embedded the same input again {} time(s), each after a search of what it had "
                    "embedded, first at {} (first embedded at {}): {} tokens re-embedded, {}% of the run's {} tokens",
                    txt(pl.col("model")),
                    pl.col("n"),
                    hms("t"),
                    hms("first_t"),
                    pl.col("wasted"),
                    (pl.col("wasted") * 100 // pl.col("run_tokens").clip(1, None)),
                    pl.col("run_tokens"),
                ),
            )
        )
