"""Tool calls a model asked for, as the OpenTelemetry GenAI semantic conventions record its output,
and the needs_approval resumption read from them.

The GenAI conventions' output messages (``gen_ai.output.messages``; open-telemetry/semantic-conventions
docs/gen-ai, the output messages JSON schema: ``ChatMessage{role, parts}``, ``ToolCallRequestPart{type:
"tool_call", id, name, arguments}``) are what the OpenTelemetry instrumentations of the OpenAI Agents
SDK (opentelemetry-instrumentation-openai-agents-v2) and of the model clients write on a ``chat``
span. ``interrupted_calls`` reads the providers' own shapes (Chat Completions ``tool_calls``,
Responses ``function_call``, Anthropic ``tool_use``); this module adds the conventions' shape to the
same story: a run whose last model call asked for a tool call it never ran, and the next run of the
session executing that very call before any model call of its own, approved by a person in between
(OpenAI Agents SDK needs_approval: ``RunResult.interruptions``, ``state.approve(item)``,
``Runner.run(agent, state)``; docs/human_in_the_loop.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.interrupted_calls import _canon

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}


def _parts(node: Any) -> Iterator[tuple[str, str | None]]:
    """``(tool, arguments)`` of every ``tool_call`` part of the output messages in ``node``."""
    if isinstance(node, list):
        for item in node:
            yield from _parts(item)
    elif isinstance(node, dict):
        if node.get("type") == "tool_call" and isinstance(node.get("name"), str):
            yield node["name"], _canon(node.get("arguments"))
        if isinstance(node.get("parts"), list):
            yield from _parts(node["parts"])


def requested_parts(output: str | None) -> set[tuple[str, str | None]]:
    """The tool calls (name, canonical arguments) a model output in the conventions' shape asks for."""
    if not output or "tool_call" not in output:
        return set()
    try:
        return set(_parts(json.loads(output)))
    except ValueError:
        return set()


def resumed_after_approval_parts(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls (``acts``: ``run_id, span_id, seq, call_tool``) a run executed
    before any model call of its own that the last model call of the session's run just before it
    (ended by the time this one started) asked for in a ``tool_call`` part, and that run never
    executed: the interrupted call, approved and resumed. A call the run's own model asked for, one
    with other arguments, or one the earlier run already ran, is not."""
    s = ctx.spans.lazy()
    runs = ctx.runs.lazy().select("run_id", "scope_key", "start_time", "last_end")
    first_llm = s.filter(pl.col("kind") == "llm").group_by("run_id").agg(pl.col("seq").min().alias("l_seq"))
    first = (
        acts.select("run_id", "span_id", "seq", "call_tool")
        .join(first_llm, on="run_id", how="left")
        .filter(pl.col("l_seq").is_null() | (pl.col("l_seq") > pl.col("seq")))
        .join(runs, on="run_id")
        .filter(pl.col("scope_key").is_not_null())
        .join(s.select("run_id", "span_id", "args"), on=["run_id", "span_id"])
        .collect()
    )
    if first.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    # The session's run that ended last before the call's run started: the one it resumes.
    before = (
        first.lazy()
        .select("run_id", "scope_key", "start_time")
        .unique()
        .join(runs.select(pl.col("run_id").alias("p_run"), "scope_key", pl.col("last_end").alias("p_end")), on="scope_key")
        .filter((pl.col("p_run") != pl.col("run_id")) & (pl.col("p_end") <= pl.col("start_time")))
        .sort("p_end")
        .group_by("run_id")
        .agg(pl.col("p_run").last())
        .collect()
    )
    if before.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    spans = ctx.spans.filter(pl.col("run_id").is_in(before.get_column("p_run").implode()))
    last_llm = spans.filter(pl.col("kind") == "llm").sort("seq").group_by("run_id").agg(pl.col("output").last())
    asked = {r: requested_parts(o) for r, o in last_llm.iter_rows()}
    ran = {
        (r, t, _canon(a))
        for r, t, a in spans.filter(pl.col("kind") == "tool").select("run_id", "call_tool", "args").iter_rows()
    }
    resumes = dict(before.iter_rows())
    found = [
        (run_id, span_id)
        for run_id, span_id, tool, args in first.select("run_id", "span_id", "call_tool", "args").iter_rows()
        if (p := resumes.get(run_id)) is not None
        and tool is not None
        and (tool, _canon(args)) in asked.get(p, set())
        and (p, tool, _canon(args)) not in ran
    ]
    return pl.LazyFrame(found, schema=_EMPTY, orient="row")
