"""A delegated agent that ran and answered nothing, and a caller that took the empty answer as done.

TAXONOMY: an ownership gap is a handoff or failure *nobody picks up* (``dangling_handoff``: the target
never starts work); a silent failure is a run that reports success while the evidence says
otherwise, ``error_as_data`` among them: "an empty result where data was expected and the run goes
on as if it succeeded". A delegate that started, worked and handed back an empty answer did pick
the work up; the caller that then posted, e-mailed or reported that answer as the finished work
took an empty result for data. That is ``error_as_data`` (silent_failure), whatever framework ran
the delegate. ``dropped_delegation`` (ownership_gap) keeps the delegated run that *failed* and that
nobody took up, and the empty report its caller saw was empty ("the team member returned nothing")
and answered around from its own knowledge: the caller knew the work was not done and nobody did it.

How frameworks write a delegate's empty answer:

* an agent span nested in the caller's work, its output recorded empty: a smolagents managed agent
  (``MultiStepAgent.__call__`` returns the managed run's final answer; OpenInference's
  ``_RunWrapper`` records ``output.value`` as ``str(agent_output)``), an agent observation under a
  tool in a Langfuse export of an agent-as-tool;
* an agent span that records no output of its own, whose last step was a model call that ended
  normally with nothing (Semantic Kernel's ``invoke_agent`` span of a ChatCompletionAgent, its
  ``chat.completions`` child's choice ``{"role": "assistant", "content": ""}``: semantic-kernel
  ``utils/telemetry/agent_diagnostics``, ``model_diagnostics``);
* a tool call the delegate ran inside, its output recorded empty: CrewAI's ``Delegate work to
  coworker`` / ``Ask question to coworker`` run ``selected_agent.execute_task`` inside the tool
  (crewAI ``tools/agent_tools/base_agent_tools.py`` ``_execute``) and return its answer as the tool's
  result; OpenInference's CrewAI wrappers span the tool (``ToolUsage._use``), not the coworker's
  ``Agent.execute_task``, so the coworker shows as model calls nested in the tool call; the OpenAI
  Agents SDK's ``Agent.as_tool`` runs the sub-agent's ``Runner.run`` inside a function span whose
  output is the sub-agent's final output (openai-agents-python ``src/agents/agent.py``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.delegation import AGENT_WHO
from forensics.detectors.base import EMPTY_ANSWER, Context
from forensics.detectors.delegated_work import not_taken_up
from forensics.detectors.dropped_delegation import _FOUND_NONE, _NOTHING

#: One chat message from the model with nothing in it, as a single object (Semantic Kernel's choice
#: event body; EMPTY_ANSWER reads the list form).
_EMPTY_MESSAGE: Final = r'^\s*\{\s*"role"\s*:\s*"assistant"\s*,\s*"content"\s*:\s*(?:""|null)\s*\}\s*$'
#: The caller's model saying the delegate's answer was empty: "returned nothing", "found no ...",
#: "an empty answer", "came back empty".
_SAYS_EMPTY: Final = (
    _FOUND_NONE
    + r"|\b(?:gave|sent)\s+(?:back\s+)?(?:no|nothing|none)\b"
    + r"|\b(?:empty|blank)\s+(?:answer|report|response|reply|result|output|string)\b"
    + r"|\bcame\s+back\s+(?:empty|blank)\b"
)
_COLS: Final = ["run_key", "run_id", "span_id", "seq", "t", "agent", "by_agent", "output", "d_end", "kind", "call"]


def _generated_nothing() -> pl.Expr:
    out = pl.col("output")
    ended = ~pl.col("failed") & pl.col("end_time").is_not_null()
    return (ended & (out.str.contains(EMPTY_ANSWER) | out.str.contains(_EMPTY_MESSAGE))).fill_null(False)


def _ran_inside(s: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, t`` of the tool calls a delegate ran inside: a model call, or another
    agent's span, directly under the call (a tool does not call a model on its caller's behalf),
    started before the call returned (a transcript whose parent link is the previous message,
    Claude Code's parentUuid, puts the model's next turn under the tool call it read)."""
    # Joined on prepare's 64-bit span keys (parent_k to span_k), not the id strings.
    inside = s.filter(pl.col("kind").is_in(["llm", "agent"]) & pl.col("parent_id").is_not_null()).select(
        pl.col("parent_k").alias("span_k"),
        pl.col("agent").alias("_in_agent"),
        pl.col("kind").alias("_in_kind"),
        pl.col("t").alias("_in_t"),
    )
    return (
        s.filter(pl.col("kind") == "tool")
        .select("span_k", "run_id", "span_id", "agent", "end_time", "t")
        .join(inside, on="span_k")
        .filter((pl.col("_in_t") < pl.col("end_time")).fill_null(False))
        .filter((pl.col("_in_kind") == "llm") | pl.col("_in_agent").ne_missing(pl.col("agent")))
        .select("run_id", "span_id", "t")
        .unique()
    )


def _build(ctx: Context) -> pl.LazyFrame:
    s = ctx.spans.lazy()
    by = s.select("run_id", pl.col("span_id").alias("parent_id"), pl.col("agent").alias("by_agent"))
    agents = (
        s.filter((pl.col("kind") == "agent") & ~pl.col("is_root") & ~pl.col("failed"))
        .with_columns(AGENT_WHO.alias("agent"))
        .join(by, on=["run_id", "parent_id"])
        .filter(pl.col("by_agent").is_not_null() & pl.col("by_agent").ne_missing(pl.col("agent")))
    )
    # The agent's last direct step, read when the agent records no output of its own: a model call
    # that generated nothing is the answer it gave. Only those agents' children are grouped.
    silent = agents.filter(pl.col("output").is_null()).select("span_k")
    last_step = (
        s.filter(pl.col("parent_id").is_not_null())
        .join(silent.rename({"span_k": "parent_k"}), on="parent_k", how="semi")
        .sort("t", "seq")
        .group_by(pl.col("parent_k").alias("span_k"))
        .agg(pl.col("kind").last().alias("_l_kind"), _generated_nothing().last().alias("_l_empty"))
    )
    recorded_empty = pl.col("output").str.contains(_NOTHING).fill_null(False)
    last_was_empty = pl.col("output").is_null() & (pl.col("_l_kind") == "llm") & pl.col("_l_empty").fill_null(False)
    by_agent_span = (
        agents.join(last_step, on="span_k", how="left")
        .filter(recorded_empty | last_was_empty)
        .with_columns(pl.coalesce("end_time", "t").alias("d_end"), pl.lit("agent").alias("kind"))
        .select(_COLS)
    )
    # A tool call a delegate ran inside, its result recorded empty; not one whose delegate failed
    # in it (a failure, dropped_delegation's or the error rules').
    ran_inside = _ran_inside(s)
    empty_result = pl.col("output").str.contains(_NOTHING).fill_null(False)
    tools = (
        s.filter((pl.col("kind") == "tool") & ~pl.col("failed") & ~pl.col("has_failed_child") & empty_result)
        .join(ran_inside, on=["run_id", "span_id"], how="semi")
    )
    # Told once: a tool call whose nested agent run is already an empty report is that run's.
    parent_of_report = (
        s.filter(pl.col("kind") == "agent")
        .join(by_agent_span.select("run_id", "span_id"), on=["run_id", "span_id"], how="semi")
        .select("run_id", pl.col("parent_id").alias("span_id"))
    )
    by_tool = (
        tools.join(parent_of_report, on=["run_id", "span_id"], how="anti")
        .with_columns(
            pl.col("agent").alias("by_agent"),
            pl.col("call").alias("agent"),
            pl.coalesce("end_time", "t").alias("d_end"),
            pl.lit("tool").alias("kind"),
        )
        .select(_COLS)
    )
    return pl.concat([by_agent_span, by_tool], how="vertical_relaxed")


def empty_reports(ctx: Context) -> pl.LazyFrame:
    """Delegated runs that ran, did not fail and answered nothing (the shapes above), that nobody
    took up afterwards in a run that reported success (delegated_work.not_taken_up): one row per
    delegation (``_COLS``: ``agent`` the delegate, ``by_agent`` the caller, ``d_end`` when the
    answer came back)."""

    def make() -> pl.DataFrame:
        built = _build(ctx).collect().lazy()
        left = built.join(not_taken_up(ctx, built), on=["run_key", "span_id"], how="semi")
        # Delegated again after the answer came back, though as the run's last tool call (a CrewAI
        # coworker asked a second time): the work was taken up.
        again = _ran_inside(ctx.spans.lazy()).select("run_id", pl.col("t").alias("_a_t"))
        redone = left.join(again, on="run_id").filter(pl.col("_a_t") > pl.col("d_end")).select("run_id", "span_id")
        return left.join(redone, on=["run_id", "span_id"], how="anti").collect()

    return ctx.once("empty_reports", make).lazy()


def answered_around(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the empty reports the caller saw were empty (its model said so after
    the report came back: "the team member returned nothing") and answered around, its final answer
    not saying nothing was found: the caller knew the work was undone and nobody did it
    (dropped_delegation's). An answer that says nothing was found read the emptiness as a finding
    (dropped_delegation.read_as_nothing_found), error_as_data's."""
    from forensics.detectors.dropped_delegation import read_as_nothing_found

    reports = empty_reports(ctx).with_columns(pl.lit(False).alias("failed"))
    said = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "llm") & pl.col("output").str.contains(_SAYS_EMPTY).fill_null(False))
        .select("run_id", pl.col("agent").alias("by_agent"), pl.col("t").alias("_m_t"))
        .join(reports.select("run_id", "span_id", "by_agent", "d_end"), on=["run_id", "by_agent"])
        .filter(pl.col("_m_t") >= pl.col("d_end"))
        .select("run_id", "span_id")
        .unique()
    )
    return said.join(read_as_nothing_found(ctx, reports), on=["run_id", "span_id"], how="anti")


def taken_as_done(ctx: Context) -> pl.LazyFrame:
    """The empty reports (``_COLS``) the caller went on with as if they were the work done:
    error_as_data's."""
    return empty_reports(ctx).join(answered_around(ctx), on=["run_id", "span_id"], how="anti")
