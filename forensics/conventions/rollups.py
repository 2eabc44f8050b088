"""Usage rolled up onto enclosing spans: counted once, where the model was called.

Several instrumentations record a run's token (and cost) totals on the enclosing agent or chain
span as well as on each model call under it:

* OpenInference's smolagents instrumentation sets ``llm.token_count.prompt/completion/total`` on
  the ``<Agent>.run`` span from the agent's monitor totals, while every ``<Model>.__call__`` span
  under it carries its own counts (openinference-instrumentation-smolagents ``_wrappers.py``,
  ``_RunWrapper``);
* LangSmith run exports carry ``prompt_tokens``/``completion_tokens``/``total_tokens`` (and costs)
  summed over the descendants on every chain run (langsmith ``schemas.py``, ``Run``);
* Langfuse observations of type SPAN/AGENT may carry usage aggregated from their generations.

Two instrumentations can also record ONE model call twice, one model-call span inside the other:
a framework's call and, under it, the client library's request. OpenInference's LangChain
instrumentation reads the LLM run's ``llm_output.token_usage`` onto its LLM span
(openinference-instrumentation-langchain ``_tracer.py`` ``_token_counts``), and
openinference-instrumentation-openai reads the same response's ``usage`` onto the ChatCompletion
span the client call opens under it (``_response_attributes_extractor.py``); opentelemetry-
instrumentation-openai-v2 does the same under a framework's own model-call span (``patch.py``,
gen_ai.usage.* from the response). The innermost span is the request the provider answered and
billed (a client's own retries are inside it); the outer one repeats its usage.

Summed over every span, such a run counts its usage twice or more, and a healthy long run looks
like a runaway. The rule: in a run where model-call spans (``kind`` ``llm`` or ``embedding``) carry a figure, the
figure on container spans (``agent``, ``chain``) is a roll-up of those calls and is not counted
again; and a model-call span with a model-call child carrying the figure is the outer record of
that call, not counted again. A run whose only figures are on containers (nothing per call) keeps
them, and so does a model call with none under it. The same rule
serves the runs table (``prepare``) and the fleet's budgets (``fleet_facts``), so both agree; it runs
first in ``prepare`` (before any convention), so the registered entry only documents the signals.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: Span kinds that enclose model calls and whose usage, when the calls carry their own, is a total.
CONTAINER_KINDS: Final = ("agent", "chain")
#: Span kinds that are calls a provider billed: a model call, an embedding model call.
MODEL_CALL_KINDS: Final = ("llm", "embedding")
_USAGE: Final = (("input_tokens", "output_tokens"), ("cost_usd",))


def without_rollups(spans: pl.DataFrame, run: str = "run_id") -> pl.DataFrame:
    """``spans`` with the usage of container spans set to null in the runs whose model calls carry
    their own (per figure family: tokens, cost). Returns the frame unchanged (same object) when no
    container span carries a figure, which is the common case and costs one pass over ``kind``."""
    container = pl.col("kind").is_in(CONTAINER_KINDS)
    call = pl.col("kind").is_in(MODEL_CALL_KINDS)
    present = [pl.any_horizontal([pl.col(c).is_not_null() for c in cols]) for cols in _USAGE]
    nested = [call & p & pl.col("parent_id").is_not_null() for p in present]
    flags = spans.select([(container & p).any().alias(f"_c{i}") for i, p in enumerate(present)]
                         + [n.any().alias(f"_n{i}") for i, n in enumerate(nested)]).row(0)
    outer = [_outer_calls(spans, run, n, call) if flags[len(_USAGE) + i] else None for i, n in enumerate(nested)]
    if not any(flags[: len(_USAGE)]) and not any(o is not None and o.any() for o in outer):
        return spans
    out = spans
    for i, (cols, p) in enumerate(zip(_USAGE, present, strict=True)):
        drop = container & (call & p).any().over(run) if flags[i] else pl.lit(False)
        if outer[i] is not None:
            drop = drop | pl.lit(outer[i])
        out = out.with_columns([pl.when(drop).then(None).otherwise(pl.col(c)).alias(c) for c in cols])
    return out


def _outer_calls(spans: pl.DataFrame, run: str, inner: pl.Expr, call: pl.Expr) -> pl.Series:
    """Per row of ``spans``: whether the span is a model call (``call``) with a child that is a
    model call carrying the figure (``inner``), i.e. the outer record of that call. Only the model
    calls are looked up (a semi join of their rows, scattered back): every span's (run, span id)
    joined as text cost ~3x, most of it on the containers, whose children are the calls."""
    children = spans.lazy().filter(inner).select(run, pl.col("parent_id").alias("span_id"))
    hit = (
        spans.lazy().with_row_index("_row").filter(call).select("_row", run, "span_id")
        .join(children, on=[run, "span_id"], how="semi").select("_row").collect().to_series()
    )
    return pl.repeat(False, spans.height, dtype=pl.Boolean, eager=True).scatter(hit, True)


register(
    Convention(
        name="usage_rollups",
        signals=(
            Signal(
                "llm.token_count.* totals on the <Agent>.run span over its model-call spans",
                "smolagents (OpenInference instrumentation)",
                "openinference-instrumentation-smolagents src/openinference/instrumentation/smolagents/_wrappers.py (_RunWrapper)",
                "input_tokens/output_tokens of the container set to null (counted on the calls)",
            ),
            Signal(
                "prompt_tokens/completion_tokens/total_tokens and costs summed onto chain runs",
                "LangSmith run export",
                "langsmith python/langsmith/schemas.py (Run)",
                "input_tokens/output_tokens/cost_usd of the container set to null (counted on the calls)",
            ),
            Signal(
                "llm.token_count.* / gen_ai.usage.* on a model-call span and again on the model-call span of the same "
                "call under it (a framework's call, the client library's request inside it)",
                "OpenInference LangChain over OpenInference OpenAI; a framework span over opentelemetry-instrumentation-openai-v2",
                "openinference-instrumentation-langchain _tracer.py (_token_counts: llm_output.token_usage); "
                "openinference-instrumentation-openai _response_attributes_extractor.py (the response's usage); "
                "opentelemetry-instrumentation-openai-v2 patch.py (gen_ai.usage.* from the response)",
                "input_tokens/output_tokens/cost_usd of the outer model call set to null (counted on the innermost request)",
            ),
        ),
        columns={
            "input_tokens": "counted where the model was called: null on a container span whose run's model calls carry their own",
            "output_tokens": "as input_tokens",
            "cost_usd": "as input_tokens, for cost",
        },
    )
)
