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

Summed over every span, such a run counts its usage twice or more, and a healthy long run looks
like a runaway. The rule: in a run where model-call spans (``kind`` ``llm``) carry a figure, the
figure on container spans (``agent``, ``chain``) is a roll-up of those calls and is not counted
again. A run whose only figures are on containers (nothing per call) keeps them. The same rule
serves the runs table (``prepare``) and the fleet's budgets (``fleet_facts``), so both agree; it runs
first in ``prepare`` (before any convention), so the registered entry only documents the signals.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: Span kinds that enclose model calls and whose usage, when the calls carry their own, is a total.
CONTAINER_KINDS: Final = ("agent", "chain")
_USAGE: Final = (("input_tokens", "output_tokens"), ("cost_usd",))


def without_rollups(spans: pl.DataFrame, run: str = "run_id") -> pl.DataFrame:
    """``spans`` with the usage of container spans set to null in the runs whose model calls carry
    their own (per figure family: tokens, cost). Returns the frame unchanged (same object) when no
    container span carries a figure, which is the common case and costs one pass over ``kind``."""
    container = pl.col("kind").is_in(CONTAINER_KINDS)
    present = [pl.any_horizontal([pl.col(c).is_not_null() for c in cols]) for cols in _USAGE]
    flags = spans.select([(container & p).any().alias(f"_c{i}") for i, p in enumerate(present)]).row(0)
    if not any(flags):
        return spans
    out = spans
    for i, (cols, p) in enumerate(zip(_USAGE, present, strict=True)):
        if not flags[i]:
            continue
        calls_carry = ((pl.col("kind") == "llm") & p).any().over(run)
        drop = container & calls_carry
        out = out.with_columns([pl.when(drop).then(None).otherwise(pl.col(c)).alias(c) for c in cols])
    return out


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
        ),
        columns={
            "input_tokens": "counted where the model was called: null on a container span whose run's model calls carry their own",
            "output_tokens": "as input_tokens",
            "cost_usd": "as input_tokens, for cost",
        },
    )
)
