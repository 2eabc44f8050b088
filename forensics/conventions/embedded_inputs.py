"""What an embedding call embedded, as one comparable key: the same texts embedded twice are one key.

``prepare`` drops the raw ``input`` and ``attributes`` texts before the detectors run, and a corpus
is large; the rule that compares embedding calls (``detectors.re_embedding``) needs only whether two
calls embedded the same thing. Where each framework records the texts:

* OpenInference EMBEDDING spans: one ``embedding.embeddings.<i>.embedding.text`` attribute per text
  embedded (Arize-ai/openinference ``spec/embedding_spans.md``; openinference-semantic-conventions
  ``EmbeddingAttributes.EMBEDDING_TEXT``), ``input.value`` beside it in some instrumentations;
* an embedding span's own input elsewhere (MLflow's span ``inputs``, LangSmith's run ``inputs``: the
  texts, or the arguments the application's traced function was given).

The key is the recorded input where there is one, else the texts in order; hashed (a corpus is
millions of characters; equality is all that is read). A call that recorded neither has no key:
the same token count is no identity (a chunked ingestion's batches are often the same size).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, register

#: One embedded text of an OpenInference EMBEDDING span, as the loaders keep it in ``attributes``.
EMBEDDED_TEXT: Final = r'"embedding\.embeddings\.\d+\.embedding\.text"\s*:\s*"(?:[^"\\]|\\.)*"'
#: The seed of the key's hash (any fixed value: keys are compared within one classification).
_SEED: Final = 11


def _extract() -> list[pl.Expr]:
    is_embedding = pl.col("kind") == "embedding"
    given = on_rows(is_embedding, pl.col("input"), lambda e: pl.when(e.str.strip_chars() != "").then(e))
    texts = on_rows(
        is_embedding,
        pl.col("attributes"),
        lambda e: e.str.extract_all(EMBEDDED_TEXT).list.join("\n").pipe(lambda j: pl.when(j != "").then(j)),
    )
    return [pl.coalesce(given, texts).alias("_cv_embedded")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    key = pl.when(pl.col("_cv_embedded").is_not_null()).then(pl.col("_cv_embedded").hash(_SEED))
    return df.with_columns(key.alias("embedded_key"))


register(
    Convention(
        name="embedded_inputs",
        signals=(
            Signal(
                "embedding.embeddings.<i>.embedding.text on an EMBEDDING span (input.value where recorded)",
                "OpenInference (openai, litellm, llama-index, dspy ... instrumentations)",
                "Arize-ai/openinference spec/embedding_spans.md; openinference-semantic-conventions (EmbeddingAttributes.EMBEDDING_TEXT)",
                "embedded_key (a hash of what the call embedded)",
            ),
            Signal(
                "an embedding span's inputs (the texts, or the traced function's arguments)",
                "MLflow, LangSmith, OTel GenAI embeddings spans with content captured",
                "mlflow mlflow/entities/span.py (inputs); langsmith schemas (Run.inputs)",
                "embedded_key (a hash of what the call embedded)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={"embedded_key": "a hash of what an embedding call embedded (its input, else its OpenInference texts); null otherwise"},
    )
)
