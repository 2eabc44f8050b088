"""Agents that call each other: the call that closed the loop of a recursion between agents.

Two agents each given the other as a tool (OpenAI Agents SDK ``Agent.as_tool``: the function tool
runs ``Runner.run(starting_agent=self, input=input)`` inside the calling agent's run,
openai-agents-python src/agents/agent.py) nest one run inside the other for as long as each defers
to the other: A -> B -> A -> B ... The depth is delegation_depth's to count (TAXONOMY, runaway_cost:
"recursion or delegation depth ... above the policy's limit"); the span from which it was
inevitable is not the first agent past the limit but the call that first started an agent inside
a run of that same agent (B calling A back while A's run is still open): from there the two
agents hand the same question round until a limit stops them.

That call is the tool call or handoff span the nested run sits under where the framework traces
one (the Agents SDK's ``function`` span, a pydantic-ai ``execute_tool``), or the delegating agent's
run where the nested run sits directly under it; where the nested run sits under a step of its
caller (no call traced), the nested agent's own run span is the call. A smolagents managed agent is called by its manager's
step (smolagents agents.py ``ToolCallingAgent.execute_tool_call``: ``tool(**arguments)`` when
``is_managed_agent = tool_name in self.managed_agents``, the agent's own ``__call__``, not a ``Tool``'s,
so openinference-instrumentation-smolagents' ``_ToolCallWrapper`` opens no tool span):
its ``<Agent>.run`` span sits directly under the manager's ``Step N`` span, and that step holds the
step's model call and every other action of it, not the call.
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.delegation import AGENT_WHO
from forensics.detectors.agent_runs import agent_run_of
from forensics.detectors.base import Context

#: Span kinds that started the agent run nested under them: a tool call (an agent as a tool), a
#: handoff, or an agent run with no finer span between it and the nested one (its own run delegated).
CALL_KINDS = ("tool", "handoff", "agent")


def first_reentries(ctx: Context, runs: pl.LazyFrame) -> pl.LazyFrame:
    """For the ``runs`` (``run_id``), the first agent run (by start) started inside a run of the same
    agent (an agent ancestor of the same name: ``AGENT_WHO``, a smolagents managed agent by the name
    its manager gave it), one row per run: ``run_id``, ``closing_id`` (the span that started it: its
    parent where that is a tool call, a handoff or an agent run, else the agent span itself),
    ``again`` (the agent), ``again_t``."""
    agents = (
        ctx.spans.lazy()
        .join(runs, on="run_id", how="semi")
        .filter((pl.col("kind") == "agent") & pl.col("parent_id").is_not_null())
        .select("run_id", "span_id", "parent_id", "parent_k", "t", "seq", AGENT_WHO.alias("who"), "span_k")
    )
    # Each agent span's delegating agent run: the agent run its parent span belongs to.
    ups = agent_run_of(ctx, agents.select(pl.col("parent_k").alias("span_k")).unique()).select(
        pl.col("span_k").alias("parent_k"), pl.col("owner").alias("up")
    )
    # The call that started each agent run: its parent when that is a tool call, a handoff or the
    # delegating agent's run, else (a step or chain around it, or no parent in the log) the agent span itself.
    called_by = (
        ctx.spans.lazy()
        .join(runs, on="run_id", how="semi")
        .filter(pl.col("kind").is_in(CALL_KINDS))
        .select(pl.col("span_k").alias("parent_k"), pl.lit(True).alias("_by_call"))
    )
    linked = (
        agents.join(ups, on="parent_k", how="left")
        .join(called_by, on="parent_k", how="left")
        .with_columns(
            pl.when(pl.col("_by_call").fill_null(False)).then(pl.col("parent_id")).otherwise(pl.col("span_id")).alias("call_id")
        )
        .drop("_by_call")
        .collect()
    )
    names = pl.concat(
        [
            linked.select("span_k", "who", "up"),
            # The root agents (no parent) are ancestors too.
            ctx.spans.lazy()
            .join(runs, on="run_id", how="semi")
            .filter((pl.col("kind") == "agent") & pl.col("parent_id").is_null())
            .select("span_k", AGENT_WHO.alias("who"), pl.lit(None, dtype=pl.UInt64).alias("up"))
            .collect(),
        ]
    ).unique("span_k")
    walk = linked.select("span_k", "who", pl.col("up").alias("_at"), pl.lit(False).alias("_again"))
    for _ in range(64):  # one level a round over the few agent spans; the data ends it long before
        if walk.get_column("_at").null_count() == walk.height:
            break
        walk = (
            walk.join(names.select(pl.col("span_k").alias("_at"), pl.col("who").alias("_up_who"), "up"),
                      on="_at", how="left")
            .with_columns((pl.col("_again") | pl.col("_up_who").eq_missing(pl.col("who")) & pl.col("who").is_not_null())
                          .alias("_again"))
            .select("span_k", "who", pl.col("up").alias("_at"), "_again")
        )  # fmt: skip
    again = walk.filter(pl.col("_again")).select("span_k")
    return (
        linked.lazy()
        .join(again.lazy(), on="span_k", how="semi")
        .sort("run_id", "t", "seq", "span_id")
        .group_by("run_id")
        .agg(
            pl.col("call_id").first().alias("closing_id"),
            pl.col("who").first().alias("again"),
            pl.col("t").first().alias("again_t"),
        )
    )
