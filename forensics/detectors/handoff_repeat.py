"""context_collapse, the hand-off form of repeated_action: an agent hands the task on again and again.

TAXONOMY's repeated_action is "the same agent calls the same tool with the same (normalized)
arguments 3+ times in one run, with no new information in between". A hand-off IS such a call: the
OpenAI Agents SDK offers each hand-off to the model as a tool, ``transfer_to_<agent_name>``
(``src/agents/handoffs.py``, ``Handoff.tool_name`` / ``default_tool_name``), with no arguments
unless an ``input_type`` is declared; when the model calls it the Runner records a ``handoff``
span (``from_agent``, ``to_agent``; ``src/agents/_run_impl.py`` ``execute_handoffs``,
``src/agents/tracing/span_data.py`` ``HandoffSpanData``) instead of a function span. So the
repeated_action rule, which reads tool spans, never sees these calls; this detector reads the
hand-off spans (``handoff_target``) for the same definition. A ``transfer_to_X`` recorded as a
tool span (LangGraph supervisors) is a tool call, and ``repeated_action`` judges it.

"The same arguments": what the hand-off span carries (its input and output: none for an Agents SDK
hand-off without ``input_type``; a Magentic-One orchestrator's instruction differs every time and
is a new request). "No new information in between": no tool, retriever or human span anywhere in
the run between the repeated hand-offs. The agent that handed the task back did nothing the sender had not seen.

When the loop ran until the turn limit, ``handoff_ping_pong`` (missing_fallback) also tells the
story: by TAXONOMY both definitions hold (the agent lost its thread and re-sent the task; no
defined way out followed), and the run carries both classes.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, empty_findings, finding, hms
from forensics.detectors.registry import register

#: Kinds of span that bring information into the run (a hand-off between them is not a repeat).
NEW_INFORMATION_KINDS = ("tool", "retriever", "human")


@register
class RepeatedHandoff(Detector):
    name = "repeated_handoff"
    failure_class = "context_collapse"
    scope = "run"
    severity = "medium"
    strength = "strong"
    description = (
        "The same agent handed the task to the same agent with the same arguments (handoff spans: "
        "the Agents SDK's transfer_to_<agent> tool calls) thresholds.repeat_count or more times in one run with no tool, "
        "retriever or human span anywhere in between: repeated_action for hand-offs, the task came "
        "back with nothing new and was sent on again. Decisive is the first hand-back (the first "
        "hand-off to an agent that had already handed the task on)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        n_min = ctx.policy.repeat_count
        src, dst = pl.col("agent"), pl.col("handoff_target")
        is_handoff = (pl.col("kind") == "handoff") & src.is_not_null() & dst.is_not_null() & (src != dst)
        # Cheap first pass: the runs where one agent handed to one target often enough at all.
        busy = (
            ctx.spans.lazy()
            .filter(is_handoff)
            .group_by("run_id", "agent", "handoff_target")
            .len()
            .filter(pl.col("len") >= n_min)
            .select("run_id")
            .unique()
            .collect()
        )
        if busy.is_empty():
            return empty_findings()
        s = (
            ctx.spans.lazy()
            .join(busy.lazy(), on="run_id", how="semi")
            .filter(is_handoff | pl.col("kind").is_in(NEW_INFORMATION_KINDS))
            .sort("run_id", "seq")
            # How many spans bringing information came before each span: equal across two
            # hand-offs means nothing new came in between.
            .with_columns(
                pl.col("kind").is_in(NEW_INFORMATION_KINDS).cum_sum().over("run_id").alias("info_n")
            )
            .filter(is_handoff)
            .select(
                "run_id",
                "span_id",
                "seq",
                "t",
                "info_n",
                src.alias("src"),
                dst.alias("dst"),
                # The hand-off's arguments: what it carried (an orchestrator's instruction, a
                # handoff input_type payload); none at all is the same (empty) arguments.
                pl.struct(pl.col("args").fill_null(""), pl.col("output").fill_null("")).hash(7).alias("carried"),
            )
        )
        repeats = (
            s.group_by("run_id", "src", "dst", "carried", "info_n")
            .agg(
                pl.col("span_id").alias("ids"),
                pl.col("seq").first().alias("first_seq"),
                pl.col("t").first().alias("first_t"),
                pl.col("t").last().alias("last_t"),
                pl.len().alias("n"),
            )
            .filter(pl.col("n") >= n_min)
            .sort("run_id", "n", "first_seq", descending=[False, True, False])
            .group_by("run_id", maintain_order=True)
            .first()
        )
        # The first hand-back: a hand-off, from the loop's start on, to an agent that had already
        # handed the task on (its own earlier hand-off is before it in the run).
        handed_on = s.group_by("run_id", pl.col("src").alias("dst")).agg(pl.col("seq").min().alias("sent_seq"))
        backs = (
            s.join(handed_on, on=["run_id", "dst"])
            .filter(pl.col("sent_seq") < pl.col("seq"))
            .join(repeats.select("run_id", "first_seq"), on="run_id")
            .filter(pl.col("seq") >= pl.col("first_seq"))
            .sort("run_id", "seq")
            .group_by("run_id")
            .agg(pl.col("span_id").first().alias("back_id"), pl.col("src").first().alias("back_src"))
        )
        found = repeats.join(backs, on="run_id", how="left")
        return found.select(
            finding(
                "run_id",
                pl.col("ids"),
                pl.coalesce("back_id", pl.col("ids").list.first()),
                pl.format(
                    "{} handed the task to {} {} times from {} to {} with no tool call or other new "
                    "information in between: each time it came back with nothing new ({} handed it back "
                    "first) and was sent on again",
                    pl.col("src"),
                    pl.col("dst"),
                    pl.col("n"),
                    hms("first_t"),
                    hms("last_t"),
                    pl.col("back_src").fill_null(pl.col("dst")),
                ),
            )
        )
