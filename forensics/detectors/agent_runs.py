"""Which agent run a span belongs to, and which memory: the loop and redo rules compare an agent's
calls within one run of it where the framework starts each run afresh.

smolagents runs a managed agent afresh at each call (``MultiStepAgent.__call__`` -> ``self.run(full_task)``,
``run(reset=True)`` by default, src/smolagents/agents.py): what one delegation did, the next never saw.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import HASH_SEED, Context


def agent_run_of(ctx: Context, rows: pl.LazyFrame, hops: int = 4) -> pl.LazyFrame:
    """``rows`` (with ``span_k``) plus ``owner``: the key (``span_k``) of the agent run the span
    belongs to: itself when it is an agent span, else its nearest agent ancestor within ``hops``
    levels (a smolagents tool call sits under ``Step N`` under ``<Agent>.run``; a plan update
    directly under the run); null when there is none. Two runs of one agent are two memories:
    a managed agent is run afresh at each call (smolagents ``MultiStepAgent.__call__`` ->
    ``run(reset=True)``, src/smolagents/agents.py), so what one run did, the next never saw."""
    # The rows asked about are few (a rule's candidates): taken first, so that a table holding none
    # never pays for the walk.
    asked = rows.collect()
    if asked.height == 0:
        return asked.lazy().with_columns(pl.lit(None, dtype=pl.UInt64).alias("owner"))
    owners = _owners(ctx).lazy().select(
        "span_k", pl.when(pl.col("_depth") <= hops).then(pl.col("owner")).alias("owner")
    )
    return asked.lazy().join(owners, on="span_k", how="left", maintain_order="left")


#: The deepest ancestor walk any caller asks for (agent_run_of's default).
_MAX_HOPS = 4


def _owners(ctx: Context) -> pl.DataFrame:
    """Every span's nearest agent ancestor (itself when an agent span) within ``_MAX_HOPS``
    levels, and how many levels up it was (``_depth``): walked once over the whole table and kept,
    so each rule's lookup is one join. Each span's parent is found once, as a row number (one join
    on the integer keys); a level up is then a gather of row numbers, not a join with the table."""

    def walk() -> pl.DataFrame:
        parent_k = pl.struct("run_key", pl.col("parent_id").hash(HASH_SEED).alias("span_h")).hash(HASH_SEED)
        tree = ctx.spans.select(
            "span_k", (pl.col("kind") == "agent").alias("_is_agent"), parent_k.alias("_up")
        ).with_row_index("_row")
        if tree.get_column("span_k").n_unique() != tree.height:
            return _walk_joins(ctx)  # span keys repeated: a parent is not one row
        rows = tree.lazy().select("_row", pl.col("span_k").alias("_up"))
        tree = tree.lazy().join(rows, on="_up", how="left", maintain_order="left").collect()
        at, owner, depth = pl.col("_at"), pl.col("_owner_row"), pl.col("_depth")
        agent = pl.col("_is_agent").gather(at).fill_null(False)
        steps = tree.select(
            "span_k", "_is_agent", pl.col("_row_right").alias("_parent_row"), pl.col("_row").alias("_at"),
            pl.lit(None, dtype=pl.UInt32).alias("_owner_row"), pl.lit(None, dtype=pl.Int32).alias("_depth"),
        )
        for level in range(_MAX_HOPS + 1):
            steps = steps.with_columns(
                pl.when(owner.is_null() & agent).then(at).otherwise(owner).alias("_owner_row"),
                pl.when(owner.is_null() & agent).then(pl.lit(level, dtype=pl.Int32)).otherwise(depth).alias("_depth"),
                pl.col("_parent_row").gather(at).alias("_at"),
            )
        return steps.select("span_k", pl.col("span_k").gather(owner).alias("owner"), "_depth")

    return ctx.once("agent_run_owners", walk)


def _walk_joins(ctx: Context) -> pl.DataFrame:
    """The walk as joins with the span table, level by level: where span keys repeat (a source
    that reuses a span id within a run), a span may have several parents."""
    parent_k = pl.struct("run_key", pl.col("parent_id").hash(HASH_SEED).alias("span_h")).hash(HASH_SEED)
    tree = ctx.spans.lazy().select(
        pl.col("span_k").alias("_at"), (pl.col("kind") == "agent").alias("_is_agent"), parent_k.alias("_up")
    )
    out = ctx.spans.lazy().select(
        "span_k",
        pl.col("span_k").alias("_at"),
        pl.lit(None, dtype=pl.UInt64).alias("owner"),
        pl.lit(None, dtype=pl.Int32).alias("_depth"),
    )
    for depth in range(_MAX_HOPS + 1):
        out = (
            out.join(tree, on="_at", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("owner").is_null() & pl.col("_is_agent").fill_null(False))
                .then(pl.col("_at"))
                .otherwise(pl.col("owner"))
                .alias("owner"),
                pl.when(pl.col("owner").is_null() & pl.col("_is_agent").fill_null(False))
                .then(pl.lit(depth, dtype=pl.Int32))
                .otherwise(pl.col("_depth"))
                .alias("_depth"),
                pl.col("_up").alias("_at"),
            )
            .drop("_is_agent", "_up")
        )
    return out.drop("_at").unique("span_k").collect()


def managed_run_of(ctx: Context, rows: pl.LazyFrame) -> pl.LazyFrame:
    """``rows`` (with ``span_k``) plus ``memory``: the key of the managed agent run the span belongs
    to (its nearest agent ancestor, when that run is a delegated one: conventions ``delegate_name``,
    smolagents' managed-agent task template; or an agent run a tool call started: :func:`tool_started_runs`),
    else null. Each call of a managed agent starts with
    an empty memory (smolagents ``MultiStepAgent.__call__`` -> ``run(reset=True)``), so what its
    earlier runs did is no context it lost. Elsewhere (an OpenAI Agents SDK agent span per handoff, a
    LangGraph node) the conversation carries over, and no key is set."""
    spans = ctx.spans.lazy()
    managed = pl.concat(
        [spans.filter(pl.col("delegate_name").is_not_null()).select(pl.col("span_k").alias("memory")),
         tool_started_runs(ctx).select(pl.col("span_k").alias("memory"))]
    ).unique()
    if managed.head(1).collect().height == 0:
        return rows.with_columns(pl.lit(None, dtype=pl.UInt64).alias("memory"))
    owned = agent_run_of(ctx, rows)
    return owned.join(
        managed.with_columns(pl.col("memory").alias("owner")), on="owner", how="left", maintain_order="left"
    ).drop("owner")


def tool_started_runs(ctx: Context) -> pl.LazyFrame:
    """``span_k`` of the agent spans whose parent is a tool call: a sub-agent run as a tool, which
    starts with only the tool's input. The OpenAI Agents SDK's ``Agent.as_tool`` wraps
    ``Runner.run(starting_agent=self, input=input)`` in a function tool ("In handoffs, the new agent
    receives the conversation history. In this tool, the new agent receives generated input.",
    openai-agents-python src/agents/agent.py), traced as the ``agent`` span under that ``function``
    span; OpenTelemetry GenAI's ``execute_tool`` -> ``invoke_agent`` is the same shape. Two such runs
    of one agent are two memories: the second never saw what the first did."""
    s = ctx.spans.lazy()
    tools = s.filter(pl.col("kind") == "tool").select(
        pl.col("span_k").alias("parent_k"), pl.col("t").alias("_tool_t"), pl.col("end_time").alias("_tool_end")
    )
    # Started while the call was running: a flat history chains each message to the one before it
    # (AG2's group chat: an agent's turn under the terminal's, already ended), a predecessor, not a caller.
    running = (pl.col("t") >= pl.col("_tool_t")) & (pl.col("_tool_end").is_null() | (pl.col("t") < pl.col("_tool_end")))
    started = (
        s.filter(pl.col("kind") == "agent").join(tools, on="parent_k").filter(running.fill_null(False)).select("span_k")
    )
    return ctx.cached("tool_started_runs", started).lazy()
