"""What a run with no terminal state was left waiting on, for ownership_gap's ``limbo``.

* ``suspended_on_pause``: a run stopped on a pause for a person's decision nobody answered (moved
  out of :mod:`forensics.detectors.ownership_gap`).
* ``mutual_waits``: an AG2 group chat that ended with its last two speakers each waiting on the
  other. ``GroupChatManager.run_chat`` (ag2ai/ag2 ``autogen/agentchat/groupchat.py``) ends a chat
  when a message meets ``is_termination_msg`` (CaptainAgent-style chats: the verifier's
  ``TERMINATE``) or when ``max_round`` rounds have been spoken; a history that ends on another
  message ran out of rounds with its task unfinished: no terminal state. Its speakers hand work to
  each other by name (the group chat's agents are addressed by their ``name``: speaker selection
  reads it). When the last speaker's last message hands the work to the speaker before it, and that
  speaker's last message handed it back, both saying they wait, each waits on the other: the run's
  last activity is a hand-back nobody took (TAXONOMY limbo). The wait began at the first message
  that handed the work straight back to the agent that had just handed it over.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, hms, txt

#: How an AG2 history is read (forensics/loaders/ag2_history.py): one agent span per message.
_AG2_HISTORY: Final = "ag2-history"
#: AG2's conventional termination message (``is_termination_msg`` of CaptainAgent's group chat and
#: of ConversableAgent's examples: the content ends with or is ``TERMINATE``).
_TERMINATE: Final = "TERMINATE"
#: Words of a wait on someone else: "I'm waiting on", "until", "as soon as", "once you", "first".
_WAITS: Final = (
    r"(?i)\b(?:wait(?:s|ing)?\s+(?:on|for)|hold(?:ing)?\s+until|until|as\s+soon\s+as|once\s+(?:you|it|the|they)|"
    r"(?:finali[sz]e|do|finish|send|share|create)\s+(?:it\s+|that\s+|this\s+)?first|before\s+I\s+can)\b"
)

#: limbo's explanation of a mutual wait (columns of ``mutual_waits``).
MUTUAL_WAIT_WHY: Final = pl.format(
    "the group chat ended with no termination message, its last two speakers each waiting on the other: {} handed "
    "the work straight back to {} at {}, and nobody took it up after", txt(pl.col("waiter")), txt(pl.col("awaited")), hms("t")
)


def suspended_on_pause(ctx: Context, open_runs: pl.LazyFrame) -> pl.LazyFrame:
    """Spans of runs (not open ones: those are judged above) that stopped on a pause for a person's
    decision nobody answered: a LangGraph ``interrupt()`` ends the invocation with the thread
    pending (``__interrupt__`` in the result, the state's ``next`` still set) until a
    ``Command(resume=...)``; an Agents SDK run stopped for a tool approval returns
    ``result.interruptions`` and a RunState to resume from. Either is suspended, no terminal state,
    and when no work of the run started after the pause and unacknowledged_escalation finds it never
    answered (no resumption in the run or its session), its last activity is that escalation."""
    from forensics.detectors.registry import findings_of

    s = ctx.spans.lazy()
    unanswered = findings_of(ctx, "unacknowledged_escalation").lazy().select("run_id", pl.col("decisive_span_id").alias("span_id"))
    work_after = s.filter(pl.col("kind").is_in(["llm", "tool", "retriever", "handoff", "agent"])).select(
        "run_id", pl.col("seq").alias("_w_seq")
    )
    pauses = (
        s.filter(pl.col("pause_escalation").fill_null(False))
        .join(unanswered, on=["run_id", "span_id"], how="semi")
        .join(open_runs.select("run_id"), on="run_id", how="anti")
    )
    later = pauses.select("run_id", "span_id", "seq").join(work_after, on="run_id").filter(pl.col("_w_seq") > pl.col("seq"))
    return pauses.join(later.select("run_id", "span_id").unique(), on=["run_id", "span_id"], how="anti")


def mutual_waits(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, t, waiter, awaited`` per AG2 group chat that ended, unterminated, with
    its last two speakers each waiting on the other (the module's description): ``span_id`` the
    message the wait began with, ``waiter`` its speaker, ``awaited`` the agent it handed back to."""
    s = ctx.spans.lazy().filter(pl.col("source_format") == _AG2_HISTORY)
    # A Magentic-One history (its orchestrator's instructions are handoff spans) is not a group chat
    # of peers handing work to each other by name.
    orchestrated = s.filter(pl.col("kind") == "handoff").select("run_id").unique()
    s = s.join(orchestrated, on="run_id", how="anti")
    last = (
        s.sort("run_id", "seq")
        .group_by("run_id")
        .agg(pl.col("kind").last().alias("_kind"), pl.col("output").last().alias("_out"))
        .filter((pl.col("_kind") == "agent") & ~pl.col("_out").str.contains(_TERMINATE, literal=True).fill_null(True))
        .select("run_id")
    )
    msgs = (
        s.filter((pl.col("kind") == "agent") & pl.col("agent").is_not_null())
        .join(last, on="run_id", how="semi")
        .select("run_id", "span_id", "seq", "t", "agent", pl.col("output").fill_null(""))
        .sort("run_id", "seq")
    )
    # Each speaker's last message; the run's last two speakers, A (who spoke last) and B.
    final = (
        msgs.group_by("run_id", "agent")
        .agg(pl.col("seq").last(), pl.col("output").last())
        .sort("run_id", "seq", descending=[False, True])
        .group_by("run_id", maintain_order=True)
        .agg(pl.col("agent").head(2), pl.col("output").head(2))
        .filter(pl.col("agent").list.len() == 2)
        .select(
            "run_id",
            pl.col("agent").list.get(0).alias("a"),
            pl.col("agent").list.get(1).alias("b"),
            pl.col("output").list.get(0).alias("a_out"),
            pl.col("output").list.get(1).alias("b_out"),
        )
    )
    waiting = (
        final.filter(
            pl.col("a_out").str.contains(pl.col("b"), literal=True)
            & pl.col("b_out").str.contains(pl.col("a"), literal=True)
            & pl.col("a_out").str.contains(_WAITS)
            & pl.col("b_out").str.contains(_WAITS)
        )
        .select("run_id", "a", "b")
    )
    # Where the wait began: the first message of A or B handing the work straight back to the other,
    # who had just handed it over (the previous speaker's message naming this one).
    pair = (pl.col("agent") == pl.col("a")) | (pl.col("agent") == pl.col("b"))
    other = pl.when(pl.col("agent") == pl.col("a")).then(pl.col("b")).otherwise(pl.col("a"))
    prev_agent = pl.col("agent").shift(1).over("run_id")
    prev_out = pl.col("output").shift(1).over("run_id")
    return (
        msgs.with_columns(prev_agent.alias("_p_agent"), prev_out.alias("_p_out"))
        .join(waiting, on="run_id")
        .filter(pair)
        .with_columns(other.alias("awaited"))
        .filter(
            (pl.col("_p_agent") == pl.col("awaited"))
            & pl.col("output").str.contains(pl.col("awaited"), literal=True)
            & pl.col("_p_out").str.contains(pl.col("agent"), literal=True)
        )
        .group_by("run_id")
        .agg(pl.all().sort_by("seq").first())
        .select("run_id", "span_id", "t", pl.col("agent").alias("waiter"), "awaited")
    )
