"""Delegations a smolagents CodeAgent manager wrote in its code that never ran.

A CodeAgent calls its managed agents from the code it writes, as functions named for them
(src/smolagents/agents.py: a managed agent is handed to the Python executor with the tools, and
``MultiStepAgent.__call__`` runs it, ``researcher(task=...)``); the OpenInference instrumentation
traces that run as a ``<Agent>.run`` span nested in the manager's step. The executor
(src/smolagents/local_python_executor.py, ``evaluate_function_def``) only defines a function
when the code says ``def ask(): return researcher(task=...)``: the call inside it runs only if
the code calls ``ask()``. A manager whose code names a managed agent's call while no agent ever ran
under it wrote the delegation and never executed it.
"""

from __future__ import annotations

import re

import polars as pl

from forensics.detectors.base import Context


def managed_never_run(ctx: Context) -> pl.LazyFrame:
    """``run_key, delegate``: the managed agents (``runs.managed_agents``) of the runs where no
    agent ran under the manager (its only agent span the root)."""
    nested = ctx.spans.lazy().filter((pl.col("kind") == "agent") & ~pl.col("is_root")).select("run_key").unique()
    return (
        ctx.runs.lazy()
        .select("run_key", pl.col("managed_agents").alias("delegate"))
        .explode("delegate")
        .drop_nulls()
        .join(nested, on="run_key", how="anti")
    )


def written_not_run(ctx: Context) -> pl.DataFrame:
    """``run_key, delegate, tried``: a managed agent (``runs.managed_agents``) of a run where no
    agent ran under the manager (its only agent span the root), whose call the manager's model
    wrote in its code (``researcher(`` in a model call's output), with the model calls that wrote
    it, in run order."""
    listed = managed_never_run(ctx).collect()
    empty = pl.DataFrame(schema={"run_key": pl.UInt32, "delegate": pl.String, "tried": pl.List(pl.String)})
    if listed.height == 0:
        return empty
    calls = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "llm") & pl.col("output").is_not_null())
        .join(listed.lazy().select("run_key").unique(), on="run_key", how="semi")
        .select("run_key", "span_id", "seq", "output")
        .collect()
    )
    parts = []
    for name in listed.get_column("delegate").unique().sort().to_list():
        # The name called as a function, not a method or part of a longer name.
        called = rf"(?:^|[^A-Za-z0-9_.]){re.escape(name)}\s*\("
        parts.append(
            calls.filter(pl.col("output").str.contains(called)).select("run_key", "span_id", "seq", pl.lit(name).alias("delegate"))
        )
    wrote = pl.concat(parts) if parts else pl.DataFrame()
    if wrote.height == 0:
        return empty
    return (
        wrote.join(listed, on=["run_key", "delegate"], how="semi")
        .sort("run_key", "delegate", "seq")
        .group_by("run_key", "delegate", maintain_order=True)
        .agg(pl.col("span_id").alias("tried"))
    )
