"""The runs of one LangGraph node in one superstep: a Send fan-out, read from the graph's own metadata.

LangGraph runs a graph in supersteps. A node its edges trigger runs once in a step; the tasks a
conditional edge returns as ``Send("researcher", state)`` each run the node once more, all in the
next step, in parallel, each its own task (``langgraph/pregel/_algo.py`` prepare_push_task /
prepare_single_task: ``run_name`` = the node's name, ``metadata`` ``langgraph_step``,
``langgraph_node``, ``langgraph_checkpoint_ns`` = ``"<node>:<task id>"``; LangGraph docs, low-level
concepts: Send; how-tos/map-reduce). So several runs of one node with one ``langgraph_step`` under
one graph run were sent, however many the ``max_concurrency`` of the config let run at once; the
runs of one task (its RetryPolicy's attempts, same ``langgraph_checkpoint_ns``) are one. The tracers
export the metadata with every run (OpenInference's ``metadata`` JSON string, LangSmith's
``extra.metadata``, OpenLLMetry's association properties), which ``attempts`` extracts.

A run that made a model call is a sub-agent (the model call its own child, or a run inside the task:
its ``langgraph_checkpoint_ns`` starts with the task's); a map over items by a plain function node
is data parallelism, no sub-agents.
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.registry import Convention, Signal, register


def _structure(df: pl.DataFrame) -> pl.DataFrame:
    none = pl.lit(None, dtype=pl.UInt64)
    if "_cv_lg_step" not in df.columns or df.get_column("_cv_lg_step").null_count() == df.height:
        return df.with_columns(none.alias("superstep_batch"), pl.lit(None, dtype=pl.String).alias("superstep_task"))
    node = (
        pl.col("kind").is_in(["chain", "agent"])
        & (pl.col("_cv_lg_node") == pl.col("name")).fill_null(False)
        & pl.col("_cv_lg_step").is_not_null()
    )
    nodes = df.filter(node).select("span_k", "run_key", "_cv_lg_task")
    llms = df.filter(pl.col("kind") == "llm").select("run_key", "parent_k", pl.col("_cv_lg_task").alias("_l_task"))
    # A model call directly under the node's run, or inside its task (its checkpoint namespace
    # continues the task's: "researcher:<id>|agent:<id>" inside "researcher:<id>").
    child = nodes.join(llms.select(pl.col("parent_k").alias("span_k")).unique(), on="span_k", how="semi")
    inside = (
        nodes.filter(pl.col("_cv_lg_task").is_not_null())
        .join(llms.filter(pl.col("_l_task").is_not_null()).select("run_key", "_l_task").unique(), on="run_key")
        .filter((pl.col("_l_task") == pl.col("_cv_lg_task")) | pl.col("_l_task").str.starts_with(pl.col("_cv_lg_task") + "|"))
    )
    agents = pl.concat([child.select("span_k"), inside.select("span_k")]).get_column("span_k").implode()
    batch = pl.struct("run_key", "parent_k", "name", "_cv_lg_step").hash(11)
    return df.with_columns(
        pl.when(node & pl.col("span_k").is_in(agents)).then(batch).otherwise(none).alias("superstep_batch"),
        pl.when(node).then(pl.coalesce("_cv_lg_task", pl.col("span_k").cast(pl.String))).alias("superstep_task"),
    )


register(
    Convention(
        name="graph_supersteps",
        signals=(
            Signal(
                "runs of one LangGraph node (name = metadata langgraph_node) with one langgraph_step under one graph "
                "run, distinct langgraph_checkpoint_ns, each with a model call (its child, or inside its task)",
                "LangGraph Send (OpenInference metadata, LangSmith extra.metadata, OpenLLMetry association properties)",
                "libs/langgraph/langgraph/pregel/_algo.py (prepare_single_task: run_name=name, metadata langgraph_step, "
                "langgraph_node, langgraph_checkpoint_ns); langgraph/types.py (Send); LangGraph docs low-level concepts: Send",
                "superstep_batch, superstep_task (read by fan_out: more than max_fan_out tasks in one batch)",
            ),
        ),
        structure=_structure,
        columns={
            "superstep_batch": "key of a LangGraph node's runs in one superstep under one graph run, for runs that made a model call (sub-agents sent together)",
            "superstep_task": "the LangGraph task of a node's run (langgraph_checkpoint_ns, else the run itself): its retries are one task",
        },
    )
)
