"""retry_storm's re-prompts: a framework that rejects the model's answer and asks the same model
again (pydantic-ai's retry prompt) retries that model call. Split out of missing_fallback.py (a room
of one job: the chains of re-prompts, read for retry_storms)."""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context


def reprompt_storms(ctx: Context, schema: pl.Schema) -> pl.LazyFrame:
    """Re-prompts as retries: a framework that rejects the model's answer (pydantic-ai's output
    validation or a tool's ModelRetry) sends the same model a retry prompt (``reprompted``), and
    each such call is a retry of the rejected one before it (pydantic-ai counts them against
    ``max_result_retries``/``retries`` and raises UnexpectedModelBehavior past it). More re-prompts
    of one agent's model than thresholds.retry_limit is a storm. Spacing is not judged: a re-prompt
    is sent at once by design. The first failed attempt is the model call the first re-prompt
    answered."""
    pol = ctx.policy
    key = ["run_id", "agent", "call"]
    llm = ctx.spans.lazy().filter(pl.col("kind") == "llm")
    llm = llm.join(llm.filter(pl.col("reprompted")).select("run_key").unique(), on="run_key", how="semi")
    chain = llm.sort("run_id", "seq").with_columns(
        pl.col("span_id").shift(1).over(key).alias("_prev_id"),
        pl.col("attempt_group").shift(1).over(key).alias("_prev_group"),
        pl.col("t").shift(1).over(key).alias("_prev_t"),
        pl.col("seq").shift(1).over(key).alias("_prev_seq"),
    )
    again = chain.filter(pl.col("reprompted") & pl.col("_prev_id").is_not_null())
    per_key = again.group_by(key, maintain_order=True).agg(
        pl.len().cast(schema["n_retries"]).alias("n_retries"),
        pl.col("span_id").alias("retry_ids"),
        pl.col("_prev_id").first().alias("first_id"),
        pl.col("_prev_group").first().alias("attempt_group"),
        pl.col("_prev_t").first().alias("t"),
        pl.col("_prev_seq").first().alias("seq"),
        pl.col("kind").first(),
    )
    clocks = ctx.runs.lazy().select("run_id", "synthetic_time")
    return (
        per_key.filter(pl.col("n_retries") > pol.retry_limit)
        .join(clocks, on="run_id")
        .with_columns(
            pl.col("n_retries").cast(schema["n_failed"]).alias("n_failed"),
            pl.lit("its answer rejected (the framework's retry prompt)").alias("error_label"),
            pl.lit(True).alias("too_many"),
            pl.lit(False).alias("no_backoff"),
            pl.lit(False).alias("grew"),
            pl.lit(True).alias("honoured"),
            pl.lit("").alias("gaps"),
            pl.lit(None, dtype=schema["ignored_id"]).alias("ignored_id"),
            pl.lit(None, dtype=schema["client_max_retries"]).alias("client_max_retries"),
        )
        .select(*(pl.col(c).cast(schema[c]) for c in schema.names()))
    )
