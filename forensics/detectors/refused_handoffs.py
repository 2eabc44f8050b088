"""Handoffs the framework refused because the agent they name does not exist.

A LangGraph agent hands off by calling a ``transfer_to_<agent>`` tool (langgraph-supervisor's
handoff tools, langgraph-swarm's; ``transfer_back_to_<supervisor>`` for the way back). When the
model calls one the agent does not have, the prebuilt ToolNode runs nothing and answers with a
ToolMessage built from ``INVALID_TOOL_NAME_ERROR_TEMPLATE``: "Error: {requested_tool} is not a
valid tool, try one of [{available_tools}]." (langgraph ``prebuilt/tool_node.py``). Nobody
received the case. If the agent then made the right call, or went on with the work itself (a
tool call that succeeded afterwards), the error was handled; if nothing more was done, the work
was handed to nobody: a dangling handoff, found on the span whose result carries the refusal.

The OpenAI Agents SDK names a handoff's tool ``transfer_to_<agent>`` (``Handoff.default_tool_name``,
src/agents/handoffs.py). A model call naming a tool the agent does not have makes
``process_model_response`` attach ``SpanError(message="Tool not found", data={"tool_name": ...})``
to the agent span and raise ``ModelBehaviorError`` (src/agents/_run_impl.py): the run dies with the
transfer requested and never executed. In general, a run that failed right after its model asked
for a transfer, with nothing executed after that request, handed the case to nobody; found on the
model call that asked.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: The ToolNode's refusal of a handoff tool it does not have, inside a JSON text or a plain one.
REFUSED_TRANSFER: Final = r"Error:\s*(transfer_(?:back_)?to_[A-Za-z0-9_-]+) is not a valid tool"


#: A requested tool call's name, as model outputs write it (Chat Completions ``"function": {"name":
#: ...}``, Responses ``function_call``, LangChain ``tool_calls[].name``), when it is a transfer.
REQUESTED_TRANSFER: Final = r'\\?"name\\?"\s*:\s*\\?"(transfer_(?:back_)?to_[A-Za-z0-9_-]+)\\?"'


def _asked_then_died(ctx: Context) -> pl.DataFrame:
    """The model calls that asked for a transfer and were the last thing a failed run did (no
    tool call, handoff or other model call after them), one row per transfer named."""
    s = ctx.spans.lazy()
    failed_runs = ctx.runs.lazy().filter(pl.col("root_error").fill_null(False)).select("run_key")
    last_step = (
        s.filter(pl.col("kind").is_in(["llm", "tool", "handoff", "retriever"]))
        .group_by("run_key")
        .agg(pl.col("seq").max().alias("_last"))
    )
    return (
        s.join(failed_runs, on="run_key", how="semi")
        .filter((pl.col("kind") == "llm") & pl.col("output").str.contains("transfer_", literal=True).fill_null(False))
        .join(last_step, on="run_key")
        .filter(pl.col("seq") == pl.col("_last"))
        .with_columns(pl.col("output").str.extract_all(REQUESTED_TRANSFER).alias("_tool"))
        .explode("_tool")
        .filter(pl.col("_tool").is_not_null())
        .with_columns(pl.col("_tool").str.extract(REQUESTED_TRANSFER, 1))
        .select("run_key", "run_id", "span_id", "seq", "t", "agent", "_tool")
        .unique(["run_id", "span_id", "_tool"])
        .collect()
    )


def _failed_last(ctx: Context) -> pl.DataFrame:
    """Handoffs that failed and were the last thing their run did: the OpenAI Agents SDK's
    handoff whose input the model wrote as invalid JSON (``Handoff.on_invoke_handoff`` raises
    ``ModelBehaviorError("Invalid JSON provided")`` and the handoff span carries the error,
    src/agents/handoffs.py). A failed handoff the run went on from (the model doing the work
    itself, another handoff) is the error rules' to judge, not a case handed to nobody."""
    s = ctx.spans.lazy()
    last_step = (
        s.filter(pl.col("kind").is_in(["llm", "tool", "handoff", "retriever"]))
        .group_by("run_key")
        .agg(pl.col("seq").max().alias("_last"))
    )
    return (
        s.filter(pl.col("failed") & pl.col("target_norm").is_not_null() & (pl.col("target_norm") != "") & ~pl.col("to_human"))
        .join(last_step, on="run_key")
        .filter(pl.col("seq") == pl.col("_last"))
        .select("run_key", "run_id", "span_id", "seq", "t", "agent", pl.col("handoff_target").alias("_tool"))
        .collect()
    )


def refused_handoffs(ctx: Context) -> pl.LazyFrame | None:
    """``run_key, run_id, span_id, seq, t, agent, handoff_target, target_norm, scope_key`` of
    the transfers asked for right before the run failed, and of the refused handoffs (module
    docstring) after which no tool call or handoff of the run
    succeeded (None when there are none). The innermost span saying it: a span whose child says it too (a graph node's
    output holding the messages of the nodes under it) is not the refusal."""
    s = ctx.spans.lazy()
    hits = (
        s.filter((pl.col("kind") != "human") & pl.col("output").str.contains("is not a valid tool", literal=True).fill_null(False))
        .with_columns(pl.col("output").str.extract(REFUSED_TRANSFER, 1).alias("_tool"))
        .filter(pl.col("_tool").is_not_null())
        .select("run_key", "run_id", "span_id", "parent_id", "seq", "t", "agent", "_tool")
        .collect()
    )
    died = pl.concat([_asked_then_died(ctx), _failed_last(ctx)])
    if hits.height == 0 and died.height == 0:
        return None
    parents = hits.select("run_id", pl.col("parent_id").alias("span_id")).drop_nulls()
    inner = pl.concat([hits.join(parents, on=["run_id", "span_id"], how="anti").drop("parent_id"), died])
    later_work = (
        s.filter(pl.col("kind").is_in(["tool", "handoff"]) & pl.col("succeeded").fill_null(False))
        .join(inner.lazy().select("run_key").unique(), on="run_key", how="semi")
        .group_by("run_key")
        .agg(pl.col("seq").max().alias("_last_work"))
    )
    target = pl.col("_tool").str.replace(r"^transfer_(?:back_)?to_", "")  # (a failed handoff: its target)
    return (
        inner.lazy()
        .join(later_work, on="run_key", how="left")
        .filter(pl.col("_last_work").is_null() | (pl.col("_last_work") < pl.col("seq")))
        .join(ctx.runs.lazy().select("run_key", "scope_key"), on="run_key")
        .select(
            "run_key", "run_id", "span_id", "seq", "t", "agent",
            target.alias("handoff_target"),
            target.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "").alias("target_norm"),
            "scope_key",
        )  # fmt: skip
    )

