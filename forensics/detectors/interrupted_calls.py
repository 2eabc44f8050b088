"""Tool calls a run paused on for a person's approval and a later run of the session executed.

The OpenAI Agents SDK's human-in-the-loop flow (docs/human_in_the_loop.md; src/agents/_run_impl.py):
a tool declared ``needs_approval`` is not executed when the model asks for it; the run stops with
the call in ``RunResult.interruptions`` (``ToolApprovalItem``), the application turns the result
into a ``RunState``, calls ``state.approve(item)`` or ``state.reject(item)`` and resumes with
``Runner.run(agent, state)``. The resumed run executes the approved calls first, with no model call
of its own before them (the request is the interrupted run's last model turn); a rejected call is
never executed (the model is told it was rejected). The trace shows exactly that: a run whose last
model call requested a tool call it never ran, and a later run of the same group (``group_id``, our
``session_id``) executing that very call (same tool, same arguments) before any model call of its
own. The call ran because a person approved it.

The request is read in the providers' own shapes (Chat Completions ``tool_calls``, Responses
``function_call``, Anthropic ``tool_use``) and in the OpenTelemetry GenAI conventions' output messages
(``gen_ai.output.messages``; open-telemetry/semantic-conventions docs/gen-ai, the output messages JSON
schema: ``ChatMessage{role, parts}``, ``ToolCallRequestPart{type: "tool_call", id, name, arguments}``),
which the OpenTelemetry instrumentations of the OpenAI Agents SDK
(opentelemetry-instrumentation-openai-agents-v2) and of the model clients write on a ``chat`` span.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import polars as pl

from forensics.detectors.base import Context

_EMPTY = {"run_id": pl.String, "span_id": pl.String}


def _canon(value: Any) -> str | None:
    """Arguments as one comparable text: JSON (or a JSON string) re-dumped with sorted keys and no
    whitespace (the prepared ``args`` column is compacted the same way)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return "".join(value.split())
    return "".join(json.dumps(value, sort_keys=True, ensure_ascii=False).split())


def _requests(node: Any) -> Iterator[tuple[str, str | None]]:
    """``(tool, arguments)`` of every tool call a model output asks for: Chat Completions
    ``tool_calls[].function``, Responses ``function_call`` items, Anthropic ``tool_use`` blocks, the
    GenAI conventions' ``tool_call`` parts of ``ChatMessage.parts``."""
    if isinstance(node, list):
        for item in node:
            yield from _requests(item)
    elif isinstance(node, dict):
        fn = node.get("function")
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            yield fn["name"], _canon(fn.get("arguments"))
        elif node.get("type") == "function_call" and isinstance(node.get("name"), str):
            yield node["name"], _canon(node.get("arguments"))
        elif node.get("type") == "tool_use" and isinstance(node.get("name"), str):
            yield node["name"], _canon(node.get("input"))
        elif node.get("type") == "tool_call" and isinstance(node.get("name"), str):
            yield node["name"], _canon(node.get("arguments"))
        for key in ("tool_calls", "content", "output", "parts"):
            if isinstance(node.get(key), list):
                yield from _requests(node[key])


def _requested(output: str | None) -> set[tuple[str, str | None]]:
    if not output:
        return set()
    try:
        return set(_requests(json.loads(output)))
    except ValueError:
        return set()


def resumed_after_approval(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls (``acts``: ``run_id, span_id, seq, call_tool``) a run
    executed before any model call of its own, that the last model call of the session's run just
    before it (ended by the time this one started) requested and that run never executed: the
    interrupted call, approved and resumed (module docstring). A call the run's own model asked
    for, or one no earlier run left pending, is not."""
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
        .join(
            runs.select(pl.col("run_id").alias("p_run"), "scope_key", pl.col("last_end").alias("p_end")),
            on="scope_key",
        )
        .filter((pl.col("p_run") != pl.col("run_id")) & (pl.col("p_end") <= pl.col("start_time")))
        .sort("p_end")
        .group_by("run_id")
        .agg(pl.col("p_run").last())
        .collect()
    )
    if before.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    earlier = set(before.get_column("p_run").to_list())
    spans = ctx.spans.filter(pl.col("run_id").is_in(earlier))
    last_llm = (
        spans.filter(pl.col("kind") == "llm").sort("seq").group_by("run_id").agg(pl.col("output").last())
    )
    asked = {r: _requested(o) for r, o in last_llm.iter_rows()}
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
