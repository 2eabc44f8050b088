"""Handoffs the receiving agent declined as not its work, after which nobody took the work up.

Every framework carries the receiver's answer back to the one that handed off, and nothing in that
answer says whether the receiver took the work: the words do.

* LangGraph supervisor (langchain-ai/langgraph-supervisor ``supervisor.py``, ``handoff.py``): the
  supervisor's ``transfer_to_<agent>`` tool jumps to the agent's node; when the agent finishes,
  ``create_handoff_back_messages`` adds the agent's last message and a ``transfer_back_to_supervisor``
  tool message ("Successfully transferred back to supervisor"), and the supervisor's model reads the
  agent's answer and decides what is next.
* Microsoft Agent Framework's handoff workflow (agent_framework ``_workflows/_handoff.py``): the
  coordinator's ``handoff_to_<agent>`` tool routes the conversation to the specialist, whose reply
  goes to the user; the workflow then waits for the user or ends.
* smolagents managed agents (huggingface/smolagents ``agents.py`` ``MultiStepAgent.__call__``): the
  manager calls the managed agent like a tool; its run's final answer comes back as the manager's
  observation ("Here is the final answer from your managed agent '<name>': ..."). The
  OpenInference ``_RunWrapper`` traces the managed run as an agent span inside the manager's
  ``Step N`` span, its output the answer.
* AG2 / Magentic-One group chats (the orchestrator's instruction to a named agent, then that
  agent's message, then the orchestrator's ledger): the agent's message is its answer.

When that answer says the work is outside the receiver's area or remit (it will not or cannot take
it, it belongs to someone else: ``DECLINED``; or it puts the work outside itself by its own name,
"outside benefits" from ``benefits_agent``), the receiver did no act (no side-effecting tool call
of its own), and after it nobody took the work up (no other handoff or delegation, no escalation, no
other agent's work, no act, no person's turn) while the one that handed off did not say plainly
that nobody could take it (its later words a says-failure statement), the handoff ended with the
work held by nobody: TAXONOMY dangling_handoff ("the target never starts work"), its receiver
having declined to start it.

Found on the handing-off agent's first model call after the decline (the turn that ended the run
without an owner), else its first step, else the receiver's first span (a workflow that ended on
the receiver's reply).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.outcome import SAYS_FAILED_TEXT
from forensics.conventions.smol_steps import SMOL_STEP
from forensics.detectors.base import Context, hms, snippet, txt
from forensics.detectors.findings import per_run_finding

#: A receiver's answer that the request is not its to do: outside (or not within) its area, remit,
#: scope or responsibility; not its area; not handled or covered by it or its team; it will not or
#: cannot take it; it is not set up or the right one for it; it belongs to, or needs to go to,
#: someone else.
DECLINED: Final = (
    r"(?i)\b(?:outside|beyond|not\s+(?:in|within|part\s+of))\s+(?:of\s+)?(?:my|our|its|the\s+\w+(?:'s)?)\s+"
    r"(?:area|remit|scope|domain|brief|mandate|purview|competence|responsibilit(?:y|ies))\b"
    r"|\bnot\s+(?:my|our|its)\s+(?:area|remit|department|responsibility|domain)\b"
    r"|\b(?:is\s+not|isn'?t|are\s+not|aren'?t)\s+(?:handled|covered|dealt\s+with)\s+(?:by|in)\s+(?:me|us|this\s+\w+|[a-z][\w-]*)\b"
    r"|\b(?:i|we)\s+(?:can'?t|cannot|won'?t|will\s+not)\s+take\s+(?:this|that|it)(?:\s+(?:one|on|request|case))?\b"
    r"|\b(?:i|we)\s+(?:am|are|'m|'re)\s+not\s+(?:set\s+up|equipped|the\s+right\s+(?:agent|team|person))\s+(?:to|for)\b"
    r"|\b(?:belongs|needs\s+to\s+go|should\s+go|has\s+to\s+go)\s+to\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+)?\s+(?:team|agent|desk|department)\b"
)


#: The receiver's own name as its answer would say it: the handoff target's name without an
#: ``agent`` suffix, in words (``benefits_agent``: "benefits"; ``utilization_mgmt_agent``:
#: "utilization mgmt"), at least three letters.
_STEM: Final = (
    pl.col("target").str.to_lowercase().str.replace(r"[\s_-]*agent$", "").str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars()
)


def _outside_itself() -> pl.Expr:
    """The receiver's answer puts the work outside the receiver itself, named ("outside benefits",
    "not handled by billing"): a decline in its own terms, whatever else it says."""
    stem = _STEM.str.replace_all(" ", r"[\s_-]+")
    pattern = pl.concat_str(
        [pl.lit(r"(?i)\b(?:outside(?:\s+of)?(?:\s+the)?|(?:handled|covered|dealt\s+with)\s+by(?:\s+the)?)\s+"), stem, pl.lit(r"\b")]
    )
    return pl.col("target_norm").is_not_null() & (_STEM.str.len_chars() >= 3) & pl.col("report").str.contains(pattern)


def _same_agent(a: str, b: str) -> pl.Expr:
    """Two normalised agent names for one agent: equal, or one the other plus a suffix (a
    LangGraph supervisor's transfer tools say ``supervisor``, its node ``supervisor_agent``)."""
    x, y = pl.col(a), pl.col(b)
    return (x == y) | x.str.starts_with(y) | y.str.starts_with(x)


def _receipts(s: pl.LazyFrame) -> pl.LazyFrame:
    """One row per handoff answered: ``run_key, run_id, h_seq, h_t, sender_norm, sender, target,
    first_span, r_seq, r_end, report`` (the receiver's last answer after the handoff)."""
    handoffs = s.filter(
        pl.col("target_norm").is_not_null() & (pl.col("target_norm") != "") & ~pl.col("to_human") & ~pl.col("failed")
    ).select(
        "run_key", "run_id", pl.col("seq").alias("h_seq"), pl.col("t").alias("h_t"),
        pl.col("agent_norm").alias("sender_norm"), pl.col("agent").alias("sender"),
        pl.col("handoff_target").alias("target"), "target_norm",
    )  # fmt: skip
    said = s.filter(pl.col("kind").is_in(["agent", "llm"]) & pl.col("agent_norm").is_not_null()).select(
        "run_key", pl.col("agent_norm").alias("target_norm"), pl.col("seq").alias("r_seq"), "span_id", "kind",
        pl.coalesce("end_time", "t").alias("r_end"), pl.col("output").alias("report"),
    )  # fmt: skip
    answered = handoffs.join(said, on=["run_key", "target_norm"]).filter(pl.col("r_seq") > pl.col("h_seq"))
    first = (
        answered.filter(pl.col("kind") == "agent")
        .group_by("run_key", "h_seq")
        .agg(pl.col("span_id").sort_by("r_seq").first().alias("first_span"))
    )
    # The answer with the latest r_seq of each handoff (a span's seq is unique in its run, so one
    # row each), picked by a window, not by sorting every answer's text and taking the group's last
    # (0.57 CPU s on the bench night's 215k answers; this, 0.05).
    last = (
        answered.filter(pl.col("report").is_not_null())
        .filter(pl.col("r_seq") == pl.col("r_seq").max().over("run_key", "h_seq"))
        .select(pl.all().exclude("span_id", "kind"), pl.col("span_id").alias("r_span"))
    )
    by_handoff = last.join(first, on=["run_key", "h_seq"], how="left").with_columns(
        pl.coalesce("first_span", "r_span").alias("first_span")
    )
    # smolagents: a managed agent's run, an agent span in the manager's Step span; its output the answer.
    steps = s.filter((pl.col("kind") == "chain") & pl.col("call").str.contains(SMOL_STEP).fill_null(False)).select(
        "run_key", pl.col("span_k").alias("parent_k"), pl.col("agent_norm").alias("sender_norm"), pl.col("agent").alias("sender")
    )
    managed = (
        s.filter((pl.col("kind") == "agent") & ~pl.col("is_root") & pl.col("output").is_not_null())
        .join(steps, on=["run_key", "parent_k"])
        .select(
            "run_key", "run_id", pl.col("seq").alias("h_seq"), pl.col("t").alias("h_t"), "sender_norm", "sender",
            pl.coalesce("delegate_name", pl.lit("its managed agent")).alias("target"), pl.lit(None, pl.String).alias("target_norm"),
            pl.col("span_id").alias("first_span"), pl.col("seq").alias("r_seq"), pl.coalesce("end_time", "t").alias("r_end"),
            pl.col("output").alias("report"),
        )  # fmt: skip
    )
    cols = ["run_key", "run_id", "h_seq", "h_t", "sender_norm", "sender", "target", "target_norm", "first_span", "r_seq", "r_end", "report"]
    return pl.concat([by_handoff.select(cols), managed.select(cols)], how="vertical_relaxed")


def declined_handoffs(ctx: Context) -> pl.LazyFrame:
    """``run_key, run_id, span_id, seq, t, agent, handoff_target, report`` of the handoffs whose
    receiver declined the work and that nobody took up (module docstring); ``span_id`` the decisive
    span."""
    s = ctx.spans.lazy()
    declined = (
        _receipts(s).filter((pl.col("report").str.contains(DECLINED) | _outside_itself()).fill_null(False)).collect().lazy()
    )
    # The receiver acted after all (a side-effecting call between the handoff and its answer).
    acted = (
        s.filter((pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("is_side_effect").fill_null(False))
        .select("run_key", pl.col("seq").alias("a_seq"), pl.col("t").alias("a_t"))
        .join(declined.select("run_key", "h_seq", "r_end"), on="run_key")
        .filter((pl.col("a_seq") > pl.col("h_seq")) & (pl.col("a_t") <= pl.col("r_end")).fill_null(True))
        .select("run_key", "h_seq")
    )
    # After the answer (later in the run, started once it ended): someone took the work up.
    later = s.select(
        "run_key", pl.col("seq").alias("l_seq"), pl.col("t").alias("l_t"), pl.col("kind").alias("l_kind"),
        pl.col("agent_norm").alias("l_agent"), pl.col("target_norm").alias("l_target"), pl.col("is_escalation").alias("l_esc"),
        (pl.col("succeeded") & pl.col("is_side_effect").fill_null(False)).alias("l_act"), pl.col("output").alias("l_out"),
    )  # fmt: skip
    after = (
        declined.select("run_key", "h_seq", "r_seq", "r_end", "sender_norm", "target_norm")
        .join(later, on="run_key")
        .filter((pl.col("l_seq") > pl.col("r_seq")) & (pl.col("l_t") >= pl.col("r_end")).fill_null(True))
    )
    taken = after.filter(
        pl.col("l_target").is_not_null()
        | pl.col("l_esc").fill_null(False)
        | pl.col("l_act")
        | (pl.col("l_kind") == "human")
        | ((pl.col("l_kind") == "agent") & ~_same_agent("l_agent", "sender_norm").fill_null(False) & pl.col("l_agent").ne_missing(pl.col("target_norm")))
        # The one that handed off said plainly that it could not get the work done.
        | (_same_agent("l_agent", "sender_norm") & pl.col("l_out").str.contains(SAYS_FAILED_TEXT)).fill_null(False)
    ).select("run_key", "h_seq")
    # The handing-off agent's next turn: its first model call after the answer, else its first step.
    own = after.filter(_same_agent("l_agent", "sender_norm").fill_null(False) & pl.col("l_kind").is_in(["llm", "agent"]))
    spans = s.select("run_key", pl.col("seq").alias("l_seq"), pl.col("span_id").alias("next_span"))
    next_turn = (
        own.join(spans, on=["run_key", "l_seq"])
        .sort((pl.col("l_kind") != "llm"), "l_seq")
        .group_by("run_key", "h_seq")
        .agg(pl.col("next_span").first())
    )
    return (
        declined.join(acted, on=["run_key", "h_seq"], how="anti")
        .join(taken, on=["run_key", "h_seq"], how="anti")
        .join(next_turn, on=["run_key", "h_seq"], how="left")
        .select(
            "run_key", "run_id", pl.coalesce("next_span", "first_span").alias("span_id"), pl.col("h_seq").alias("seq"),
            pl.col("h_t").alias("t"), pl.col("sender").alias("agent"), pl.col("target").alias("handoff_target"), "report",
        )  # fmt: skip
    )


def declined_finding(declined: pl.LazyFrame) -> pl.LazyFrame:
    """dangling_handoff's finding for a declined handoff (one per run, at its first)."""
    return per_run_finding(
        declined,
        first=["agent", "handoff_target", "t", "report"],
        explanation=pl.format(
            "{} handed off to {} at {}, who declined the work as not its own ('{}') and did nothing; "
            "nobody took it up afterwards (no other handoff, escalation, act or person's turn) and the run ended",
            txt(pl.col("agent"), "an unnamed agent"),
            pl.col("handoff_target"),
            hms("t"),
            snippet(pl.col("report"), 100),
        ),
    )
