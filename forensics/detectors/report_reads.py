"""A delegate's report a smolagents CodeAgent manager's code printed: it reached the manager.

A CodeAgent calls its managed agents from the code it writes (``report = researcher(task=...)``,
src/smolagents/agents.py: a managed agent is handed to the Python executor beside the tools) and
sees, as its next observation, only what that code prints and the last expression's value
(CodeAgent step: ``observation = "Execution logs:\\n" + code_output.logs``; print outputs are
collected by src/smolagents/local_python_executor.py, ``state["_print_outputs"]``, and cut by
``truncate_content`` to ``max_print_outputs_length``). The variables live on in the executor's
state, so a later step's code may print the report, or hand it to ``final_answer`` whole.

The recorded observation is not always the whole print (cut by smolagents, by an attribute
length limit, or summarised by whoever wrote the log), so ``unread_delegate_report`` also reads
the code: a report assigned to a variable (``results[c] = pricing_researcher(...)``) that the
manager's code then passes to ``print(...)`` or ``final_answer(...)``, in the step that called the
delegate or a later one, was read. An assignment nobody printed (``breach_report =
web_researcher(...)``, then ``final_answer("No breach found")``) was not.

The code calls a managed agent by the name its manager gave it (``account_researcher(task=...)``);
the delegated run is named so when its task carries that name (the ``managed_agent.task`` template,
"You're a helpful agent named '{{name}}'", ``MultiStepAgent.__call__``), and that template is the
application's to replace (``prompt_templates["managed_agent"]["task"]``). A delegated run named by
none of the manager's managed agents (the instrumentation's ``ToolCallingAgent.run``) is called in
the code by one of them: each managed agent's name is read as the delegate's.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import HASH_SEED, Context

#: Where a name starts in code read as the model wrote it, in its JSON message: the text's start, an
#: escaped line break or tab (``\nresults = ...``: the n is no part of the name), any other non-word
#: character.
_NAME_START = r"(?:^|\\[nt]|[^A-Za-z0-9_])"
#: The variable a call of the delegate (its name filled in) was assigned to, with or without an
#: index: ``report = researcher(``, ``results[c] = researcher(``.
_ASSIGNED = _NAME_START + r"(\w+)(?:\[[^\]]*\])?\s*=\s*{}\s*\("
#: That variable printed or handed to final_answer (within the call's parentheses: ``print(len(x))``
#: and ``print(f"{x}")`` too).
_PRINTED = _NAME_START + r"(?:print|final_answer)\s*\([^)]*\b{}\b"


def printed_by_code(ctx: Context, reports: pl.LazyFrame) -> pl.LazyFrame:
    """``run_key, span_id`` of the delegated runs (``reports``: ``run_key, span_id, parent_id,
    agent, by_agent``) whose report the delegating agent's code assigned to a variable and then
    printed or handed to final_answer (see the module docs)."""
    s = ctx.spans.lazy()
    parent_k = pl.struct("run_key", pl.col("parent_id").hash(HASH_SEED).alias("span_h")).hash(HASH_SEED)
    steps = s.select(pl.col("span_k").alias("_step_k"), pl.col("t").alias("_step_t"))
    asked = reports.with_columns(parent_k.alias("_step_k")).join(steps, on="_step_k", how="left")
    # The name the code calls the delegate by: the delegated run's agent, or, for a run not named by
    # any of the manager's managed agents, each of those (see the module docs).
    managed = ctx.runs.lazy().select("run_key", pl.col("managed_agents").alias("_managed"))
    unnamed = ~pl.col("_managed").list.contains(pl.col("agent")).fill_null(False)
    names = pl.concat_list(
        pl.col("agent"), pl.when(unnamed).then(pl.col("_managed")).otherwise(pl.lit([], dtype=pl.List(pl.String)))
    ).list.drop_nulls()
    asked = asked.join(managed, on="run_key", how="left").with_columns(
        pl.format("(?:{})", names.list.eval(pl.element().str.escape_regex()).list.join("|")).alias("_callee")
    )
    # The delegating agent's code: its model calls from the delegating step on.
    code = s.filter((pl.col("kind") == "llm") & pl.col("output").is_not_null()).select(
        "run_key", pl.col("agent").alias("by_agent"), pl.col("t").alias("_code_t"), pl.col("output").alias("_code")
    )
    written = asked.join(code, on=["run_key", "by_agent"]).filter(pl.col("_code_t") >= pl.col("_step_t"))
    assigned = (
        written.with_columns(
            pl.col("_code").str.extract(pl.format(_ASSIGNED, pl.col("_callee")), 1).alias("_var")
        )
        .filter(pl.col("_var").is_not_null())
        .select("run_key", "span_id", "_var", pl.col("_code_t").alias("_assigned_t"))
    )
    return (
        written.join(assigned, on=["run_key", "span_id"])
        .filter(pl.col("_code_t") >= pl.col("_assigned_t"))
        .filter(pl.col("_code").str.contains(pl.format(_PRINTED, pl.col("_var"))).fill_null(False))
        .select("run_key", "span_id")
        .unique()
    )
