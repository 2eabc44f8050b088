"""ownership_gap's delegated_to_unknown_agent: a smolagents manager handed a task to a managed
agent by a name it does not have, and nobody did the work.

smolagents offers a manager's managed agents to its model as tools whose inputs are ``task`` and
``additional_args`` (``MultiStepAgent._setup_managed_agents``, src/smolagents/agents.py). A call
to a name that is none of the agent's tools and managed agents is refused by ``execute_tool_call``
with AgentToolExecutionError "Unknown tool X, should be one of: ..."; a CodeAgent's code calling it
is refused by the local executor ("Forbidden function evaluation: 'X' is not among the explicitly
allowed tools ...", src/smolagents/local_python_executor.py) (both: the ``unknown_tool`` column,
conventions/exceptions.py); the step fails, the error goes back to the model, and no
managed run starts. If the model then called the right agent, or did the work itself (a tool
call that succeeded afterwards, other than the final answer), the error was handled; if nothing
more was done, the task was handed to nobody: a dangling delegation (TAXONOMY ownership_gap,
dangling_handoff: "a delegation span ... after which the target never starts work"), found on
the step that made the call.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.smol_steps import SMOL_STEP
from forensics.detectors.base import Context, Detector, hms
from forensics.detectors.findings import per_run_finding
from forensics.detectors.ignored_errors import ANSWER_TOOLS
from forensics.detectors.registry import register

#: A tool call's arguments holding ``task``, as a model output writes it (a JSON object, or the
#: arguments string inside one: ``"arguments": "{\"task\": ...}"``), or a CodeAgent's code passing
#: it as a keyword argument (``search_agent(task="...")``).
_TASK_ARGUMENT: Final = r'\\?"task\\?"\s*:|[(,]\s*task\s*='


def unknown_delegations(ctx: Context) -> pl.LazyFrame:
    """The steps that called an unknown name with a ``task`` argument (the model call under the
    step asked for that name with it), after which no agent ran and no tool but the final answer
    succeeded in the run."""
    s = ctx.spans.lazy()
    refused = s.filter(pl.col("unknown_tool").is_not_null()).select(
        "run_key", "run_id", "span_id", "seq", "t", "agent", pl.coalesce("end_time", "t").alias("_end"), "unknown_tool"
    )
    asked = (
        s.filter(pl.col("kind") == "llm")
        .select("run_key", pl.col("parent_id").alias("span_id"), pl.col("output").alias("_asked"))
        # The model calls' outputs only (in one predicate with the kind test, the regex read every
        # span's: 0.054 s against 0.025 s at the bench night).
        .collect()
        .lazy()
        .filter(pl.col("_asked").str.contains(_TASK_ARGUMENT).fill_null(False))
        .join(refused.select("run_key", "span_id", "unknown_tool"), on=["run_key", "span_id"])
        .filter(pl.col("_asked").str.contains(pl.col("unknown_tool"), literal=True))
        .select("run_key", "span_id")
        .unique()
    )
    refused = pl.concat(
        [refused.with_columns(pl.lit(False).alias("managed")), _managed_call_raised(ctx)], how="vertical_relaxed"
    )
    later_work = (
        s.filter(
            ((pl.col("kind") == "agent") & ~pl.col("is_root"))
            | (
                pl.col("kind").is_in(["tool", "handoff", "retriever"])
                & pl.col("succeeded")
                & ~pl.col("call_tool").is_in(ANSWER_TOOLS).fill_null(False)
            )
        )
        .group_by("run_key")
        .agg(pl.col("seq").max().alias("_last_work"), pl.col("t").max().alias("_last_work_t"))
    )
    asked = pl.concat([asked, refused.filter(pl.col("managed")).select("run_key", "span_id")])
    # A managed agent's call raised inside the step's code: work that code did before the call (the
    # CRM lookup on the line above, `acct = crm_account_summary(...)` then `researcher(request=...)`)
    # nests in the same step and is not the delegated work taken up; only work started after the
    # failed step ended is (the local executor stops the code at the exception,
    # src/smolagents/local_python_executor.py, and the step's error goes back to the model).
    later = (
        pl.when(pl.col("managed"))
        .then(pl.col("_last_work_t") > pl.col("_end"))
        .otherwise(pl.col("_last_work") > pl.col("seq"))
    )
    return (
        refused.join(asked, on=["run_key", "span_id"], how="semi")
        .join(later_work, on="run_key", how="left")
        .filter(~later.fill_null(False))
        .drop("_last_work", "_last_work_t", "_end")
    )


def _managed_call_raised(ctx: Context) -> pl.LazyFrame:
    """Failed smolagents steps whose code called one of the run's managed agents
    (``runs.managed_agents``) that never started under the step: the call raised before the
    managed run began (``search_agent(query=...)`` where ``MultiStepAgent.__call__`` takes
    ``task``: "TypeError: MultiStepAgent.__call__() missing 1 required positional argument:
    'task'", src/smolagents/agents.py), as ``unknown_delegations``' rows with ``managed`` true."""
    s = ctx.spans.lazy()
    managed = ctx.runs.lazy().select("run_key", pl.col("managed_agents").alias("unknown_tool")).explode("unknown_tool").drop_nulls()
    steps = s.filter(pl.col("failed") & (pl.col("kind") == "chain") & pl.col("call").str.contains(SMOL_STEP).fill_null(False)).select(
        "run_key", "run_id", "span_id", "seq", "t", "agent", pl.coalesce("end_time", "t").alias("_end")
    )
    started = s.filter(pl.col("kind") == "agent").select("run_key", pl.col("parent_id").alias("span_id")).drop_nulls()
    called = (
        s.filter(pl.col("kind") == "llm")
        .select("run_key", pl.col("parent_id").alias("span_id"), "output")
        .join(steps.select("run_key", "span_id"), on=["run_key", "span_id"], how="semi")
        .join(managed, on="run_key")
        .filter(pl.col("output").str.contains(pl.col("unknown_tool") + "(", literal=True).fill_null(False))
        .select("run_key", "span_id", "unknown_tool")
        .unique(["run_key", "span_id"])
    )
    return (
        steps.join(called, on=["run_key", "span_id"])
        .join(started, on=["run_key", "span_id"], how="anti")
        .with_columns(pl.lit(True).alias("managed"))
    )


@register
class DelegatedToUnknownAgent(Detector):
    name = "delegated_to_unknown_agent"
    failure_class = "ownership_gap"
    scope = "run"
    severity = "high"
    strength = "strong"
    description = (
        "A smolagents agent called a name that is none of its tools or managed agents with a `task` "
        "argument (a managed agent's input), execute_tool_call refused it ('Unknown tool X, should be "
        "one of: ...', the step's error or its agent.step_recovery event), and afterwards no agent ran "
        "and no tool call but the final answer succeeded: the task was handed to nobody. So too a "
        "failed step whose code called one of its managed agents (runs.managed_agents) that never "
        "started under the step (the call raised first: search_agent(query=...) for task=...)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        return per_run_finding(
            unknown_delegations(ctx),
            first=["agent", "unknown_tool", "t", "managed"],
            explanation=pl.format(
                "{} handed a task to '{}' at {}, {}; afterwards no agent ran and no tool but the final "
                "answer was called",
                pl.col("agent").fill_null("an agent"),
                pl.col("unknown_tool"),
                hms("t"),
                pl.when(pl.col("managed"))
                .then(pl.lit("one of its managed agents, but the call raised before that agent started"))
                .otherwise(pl.lit("a name none of its tools or managed agents has, and the call was refused")),
            ),
        )
