"""Tool calls one model output wrote together: the items of one action, not retries of each other.

A smolagents CodeAgent's step is one model call that writes a code blob, then the code runs: every
tool it calls is a TOOL span under the step's span, after the step's model call
(huggingface/smolagents ``src/smolagents/agents.py`` ``CodeAgent._step_stream``: ``generate`` then
``self.python_executor(code_action)``; Arize-ai/openinference
``python/instrumentation/openinference-instrumentation-smolagents/src/openinference/instrumentation/
smolagents/_wrappers.py``: ``_StepWrapper`` opens ``Step N``, ``_ModelWrapper`` the model call under
it, ``_ToolCallWrapper`` each ``Tool.__call__`` the code makes). A loop over twelve recipients is
twelve calls the model wrote before any of them ran: the send to the next recipient after one that
raised is the next item, not that send again, whether the code caught the error (``try: ... except
Exception: pass``) or not. A ToolCallingAgent's parallel tool calls are the same: one response, its
calls run one after another under the step. The same arguments again within one action are still a
retry (a retry loop written in the code); a later model call under the step, or another step, is a
new decision, and what it sends again is a retry as before.
"""

from __future__ import annotations

import polars as pl


def issuing_model_call(spans: pl.LazyFrame) -> pl.LazyFrame:
    """``run_key, span_id, issued_by`` for the tool spans of ``spans``: the latest model call
    started at or before the tool call under the same parent (the step whose model output wrote
    it), null where the parent holds none before it. Two tool calls with the same ``issued_by``
    were written by one model output. An as-of join per parent, no pairing of all spans."""
    tools = spans.filter((pl.col("kind") == "tool") & pl.col("parent_id").is_not_null()).select(
        "run_key", "parent_id", "span_id", "t", "seq"
    )
    models = spans.filter((pl.col("kind") == "llm") & pl.col("parent_id").is_not_null()).select(
        "run_key", "parent_id", pl.col("span_id").alias("issued_by"), pl.col("t").alias("_m_t"), pl.col("seq").alias("_m_seq")
    )
    return (
        tools.sort("t", "seq")
        .join_asof(
            models.sort("_m_t", "_m_seq"),
            left_on="t",
            right_on="_m_t",
            by=["run_key", "parent_id"],
            strategy="backward",
            check_sortedness=False,
        )
        .select("run_key", "span_id", "issued_by")
    )


def another_item_of_one_action(issued: str, later_issued: str, args: str, later_args: str) -> pl.Expr:
    """True where a later call was written by the same model output as the failed one (both
    ``issued_by`` columns equal and set) with other arguments: the next item of the action."""
    return (
        pl.col(issued).is_not_null()
        & (pl.col(issued) == pl.col(later_issued)).fill_null(False)
        & ~pl.col(args).eq_missing(pl.col(later_args))
    )
