"""ownership_gap's dropped_delegation: work delegated to another agent that failed (or came back
empty and was seen to be: forensics.detectors.empty_reports), and that nobody took up afterwards
(moved out of :mod:`forensics.detectors.ownership_gap`, which re-exports ``_NOTHING``)."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.delegation import AGENT_WHO
from forensics.conventions.smol_steps import SMOL_STEP
from forensics.detectors.base import Context, Detector, hms, txt
from forensics.detectors.findings import per_run_finding
from forensics.detectors.registry import register

#: What an agent run that returned nothing looks like once written down: an empty text or the
#: ``str()`` of Python's ``None`` (the OpenInference smolagents run wrapper sets ``output.value``
#: to ``str(agent_output)``, _wrappers.py ``_RunWrapper``), JSON null or an empty collection.
_NOTHING = r"^\s*(?:None|null|\[\s*\]|\{\s*\}|\"\")?\s*$"
#: A finding of nothing with the verb first ("the search agent found no recalls", "returned nothing").
_FOUND_NONE: Final = r"(?i)\b(?:found|returned|turned\s+up|showed|shows|listed|reported)\s+(?:no|nothing|none|zero)\b"


def dropped_delegations(ctx: Context) -> pl.LazyFrame:
    """Delegated agent runs that failed or returned nothing and that nobody took up afterwards, in
    a run that reported success (DroppedDelegation's description): ``run_key, run_id, span_id,
    seq, agent, by_agent, t, failed, error_label, output, d_end``."""
    s = ctx.spans.lazy()
    # A delegated run inside a tool call that failed with it (the OpenAI Agents SDK's
    # Agent.as_tool: the sub-agent's Runner.run is a function tool's body, and its exception
    # fails that function span, handed back to the delegating agent's model by the tool's
    # failure_error_function, src/agents/agent.py as_tool, src/agents/tool.py): the failure came
    # back to its owner as its own tool call's failure, which the error rules judge.
    # Likewise a managed agent's failure inside the smolagents step that called it: the manager's
    # ``execute_tool_call`` catches it and raises AgentToolExecutionError("Error executing request
    # to team member ...: ... Please try again or request to another team member"), stored on the
    # step and shown to the manager's model in the next one (huggingface/smolagents
    # src/smolagents/agents.py; the instrumentation's ``agent.step_recovery`` event on ``Step N``,
    # conventions.smol_steps.recovered_steps): the failure reached its owner. An answer given over
    # it anyway swallowed the error (swallowed_error, silent_failure), it was not left to nobody.
    handed_back = (pl.col("kind") == "tool") | ((pl.col("kind") == "chain") & pl.col("call").str.contains(SMOL_STEP).fill_null(False))
    parents = s.select(
        "run_id",
        pl.col("span_id").alias("parent_id"),
        pl.col("agent").alias("by_agent"),
        (handed_back & pl.col("failed")).alias("_in_failed_call"),
    )
    # A recorded output that is empty; an agent span that records no output at all says nothing.
    returned_nothing = pl.col("output").str.contains(_NOTHING).fill_null(False)
    delegated = (
        s.filter((pl.col("kind") == "agent") & ~pl.col("is_root"))
        .with_columns(AGENT_WHO.alias("agent"))  # a managed CodeAgent under a CodeAgent: by name
        .join(parents, on=["run_id", "parent_id"])
        .filter(pl.col("by_agent").is_not_null() & pl.col("by_agent").ne_missing(pl.col("agent")))
        .filter(~pl.col("_in_failed_call"))
        # A delegated run its user cancelled (conventions.cancelled) was stopped, not dropped.
        .filter((pl.col("failed") & ~pl.col("user_cancelled")) | returned_nothing)
        .select(
            "run_key",
            "run_id",
            "span_id",
            "seq",
            "agent",
            "by_agent",
            "t",
            "failed",
            "error_label",
            "output",
            pl.coalesce("end_time", "t").alias("d_end"),
        )
    )
    succeeded = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id")
    # The run's last tool call delivers the answer (smolagents' final_answer tool): it is no
    # taking-up of the work.
    last_tool = (
        s.filter(pl.col("kind") == "tool")
        .group_by("run_key")
        .agg(pl.col("seq").max().alias("last_tool_seq"))
    )
    work = (
        s.filter(pl.col("kind").is_in(["agent", "tool", "retriever", "handoff"]))
        .join(last_tool, on="run_key", how="left")
        .filter(pl.col("seq").ne_missing(pl.col("last_tool_seq")))
        .select("run_key", pl.col("t").alias("w_t"))
    )
    taken_up = (
        delegated.join(work, on="run_key")
        .filter(pl.col("w_t") > pl.col("d_end"))
        .select("run_key", "span_id")
        .unique()
    )
    return delegated.join(succeeded, on="run_id", how="semi").join(taken_up, on=["run_key", "span_id"], how="anti")


def read_as_nothing_found(ctx: Context, dropped: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the delegated runs in ``dropped`` that returned nothing (not failed)
    in a run whose final answer says nothing was found: the delegating agent read the empty report
    as the finding that there is nothing (TAXONOMY error_as_data: "an empty result where data was
    expected and the run goes on as if it succeeded"), not left the work to nobody. A manager that
    answered from its own knowledge instead says no such thing: that work was dropped. "Says
    nothing was found" is error_shapes' test of an answer over an empty retrieval."""
    from forensics.detectors.error_shapes import _SAYS_NOT_FOUND

    answer = pl.col("final_output")
    says_none = answer.str.contains(_SAYS_NOT_FOUND) | answer.str.contains(_FOUND_NONE)
    says = ctx.runs.lazy().filter(says_none.fill_null(False)).select("run_id")
    return dropped.filter(~pl.col("failed")).join(says, on="run_id", how="semi").select("run_id", "span_id")


@register
class DroppedDelegation(Detector):
    name = "dropped_delegation"
    failure_class = "ownership_gap"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        "An agent delegated work to another agent (an agent span nested under the delegating "
        "agent's work, as a smolagents manager calls its managed agents), the delegated run failed, "
        "or returned nothing and the delegating agent's model said so before answering around it, "
        "and afterwards nobody took the work up: no other agent started and no "
        "tool was called except the run's final one, while the run went on to report success. Not a "
        "delegated run inside a tool call that failed with it (an Agents SDK agent-as-tool): that "
        "failure came back to the delegating agent as its own tool call's; nor one inside a smolagents "
        "manager step that recorded the managed agent's failure as its own error (handed back to the "
        "manager's model: an answer over it is swallowed_error's). Nor an empty report the "
        "delegating agent took as the work done or read as the finding that there is nothing: the "
        "delegate started, nothing dangled, and the empty result went on as data (error_as_data's)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        # A delegated run that failed, and nobody took the failure up. One that ran and answered
        # nothing is dropped only where its caller saw the answer was empty and answered around it
        # (empty_reports.answered_around); taken as the work done, it is error_as_data's
        # (silent_failure: an empty result where data was expected), told once there.
        from forensics.detectors.empty_reports import answered_around, empty_reports

        failed = dropped_delegations(ctx).filter(pl.col("failed"))
        around = empty_reports(ctx).join(answered_around(ctx), on=["run_id", "span_id"], how="semi")
        cols = ["run_key", "run_id", "span_id", "seq", "agent", "by_agent", "t"]
        what = pl.format("failed with {}", pl.col("error_label"))
        dropped = pl.concat(
            [
                failed.select(*cols, what.alias("what")),
                around.select(*cols, pl.lit("returned nothing").alias("what")),
            ]
        )
        return per_run_finding(
            dropped,
            key="run_key",
            order="t",
            first=["agent", "by_agent", "what", "t"],
            explanation=pl.format(
                "{} delegated work to {} at {}; the delegated run {}, and afterwards no agent took the work "
                "up and no tool was called except the final one, yet the run reported success",
                txt(pl.col("by_agent")),
                txt(pl.col("agent")),
                hms("t"),
                pl.col("what"),
            ),
        )

