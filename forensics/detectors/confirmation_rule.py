"""A run whose own instructions require the user's explicit confirmation before an action.

tau-bench's domain policies, given to the agent as its system message, say so in as many words:
airline "you must list the action details and obtain explicit user confirmation (yes) to proceed"
before any action that updates the booking database, retail the same before cancel, modify, return
or exchange (``tau_bench/envs/airline/wiki.md``, ``tau_bench/envs/retail/wiki.md``). In such a run
the guard a state-changing call needs is the person's own "yes", answering the agent; any earlier
turn of theirs (their user id, the opening request) confirms nothing. Used by
``unguarded_irreversible``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, on_rows

#: An instruction that requires the user's explicit confirmation (or consent, approval) first.
#: Also the plain form an agent's instructions give it ("Always confirm before cancelling.", "ask
#: the customer for confirmation before any refund"; the OpenAI Agents SDK docs advise such tools be
#: confirmed, human_in_the_loop.md).
CONFIRMATION_RULE: Final = (
    r"(?i)\bexplicit(?:ly)?\s+(?:user\s+|customer\s+)?(?:confirmation|consent|approval)\b"
    r"|\b(?:obtain|get|ask\s+for|require)\s+(?:the\s+)?(?:user'?s?\s+|customer'?s?\s+)?explicit\s+\w+"
    r"|\b(?:always|must|should|need\s+to)\s+confirm\b[^.\n]{0,40}?\bbefore\s+\w+ing\b"
    r"|\bask\s+(?:the\s+(?:user|customer)\s+)?for\s+(?:their\s+)?confirmation\s+before\b"
)
#: A person's turn that says yes: one of its sentences opens with an assent ("Yes, please.",
#: "sure, go ahead", "Absolutely.", "Alright, do it."; "Change of plan. Yes, cancel it." answers
#: the agent's two questions, the reason and the confirmation, a sentence each) or it says to go
#: ahead anywhere in it ("Great, please proceed.", "That works, let's do it."). The assents are
#: the English ones a simulated or real customer answers a "shall I proceed?" with: the adverbs of
#: assent (absolutely, definitely, certainly, of course, all right) as well as yes and its forms;
#: one followed by "not" ("Absolutely not.", "Of course not!") declines (DECLINING).
AFFIRMATIVE: Final = (
    r"(?i)(?:^|[.!?;]\s+)\W*(?:yes|yeah|yep|yup|sure|ok|okay|confirm(?:ed)?|correct|right|please\s+do|do\s+it|sounds\s+good"
    r"|absolutely|definitely|certainly|of\s+course|al(?:l\s+)?right)\b"
    r"|\b(?:go\s+ahead|please\s+proceed|proceed\s+with|you\s+can\s+proceed|i\s+confirm|confirmed"
    r"|let'?s\s+(?:do\s+(?:it|that|this)|proceed|go\s+ahead)|please\s+do\s+(?:it|that|so))\b"
)
#: A sentence of the turn that opens by declining ("No.", "Don't cancel it yet", "Wait"): the turn
#: is no yes, whatever else it says.
DECLINING: Final = (
    r"(?i)(?:^|[.!?;]\s+)\W*(?:no|nope|nah|don'?t|do\s+not|not\s+yet|wait|hold\s+on|stop"
    r"|(?:absolutely|definitely|certainly|of\s+course)\W+not)\b"
)
#: Set phrases opening with "no" that decline nothing ("No problem.", "No worries"), left out first,
#: and "no longer": tau-bench's retail policy has the user confirm the cancellation reason, "either
#: 'no longer needed' or 'ordered by mistake'" (tau_bench/envs/retail/wiki.md, Cancel pending
#: order), so "No longer needed. Yes, cancel it." answers the reason, then says yes.
_NOT_DECLINING: Final = r"(?i)\bno\s+(?:problem|worries|longer)\b"


def unconfirmed_actions(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the side-effecting or irreversible tool calls that ran, in a run
    whose instructions (an event before them: the system message) require the user's explicit
    confirmation, where the person's last turn before the call was not a yes answering the agent
    (``is_review`` on a person's turn: it came after the agent spoke) nor a typed confirmation
    opening with the action's verb ("DELETE acme-staging" before ``delete_workspace``), or there was
    none. A message to the person (tools.delivery: a one-time code) is not a change to guard."""
    s = ctx.spans.lazy()
    # The instructions as an event (a transcript's system message), or in a model call's input
    # (conventions.pauses prompt_rule: the OpenAI Agents SDK generation's system message).
    # The rule's regex reads the events' outputs only (on_rows: `&` evaluates both sides, so the
    # regex read every span's output), and the rules are found once (collected: `calls` below is
    # read three times, and a lazy frame read three times is computed three times).
    is_event = pl.col("kind") == "event"
    said_rule = is_event & on_rows(is_event, pl.col("output"), lambda e: e.str.contains(CONFIRMATION_RULE)).fill_null(False)
    rules = (
        s.with_columns(said_rule.alias("_said_rule"))
        .filter(pl.col("_said_rule") | pl.col("prompt_rule").fill_null(False))
        .group_by("run_id")
        .agg(pl.col("seq").min().alias("rule_seq"), pl.col("_said_rule").any().alias("rule_said"))
        .collect()
        .lazy()
    )
    calls = (
        s.filter(
            (pl.col("kind") == "tool")
            # A message to the person (a one-time code, a notice: tools.delivery) changes no record.
            & ((pl.col("is_side_effect") & ~pl.col("is_delivery")) | pl.col("is_irreversible")).fill_null(False)
            & pl.col("succeeded")
        )
        .join(rules, on="run_id")
        .filter(pl.col("seq") > pl.col("rule_seq"))
        .select("run_id", "span_id", "seq", "rule_said", pl.col("call").str.extract(r"^([A-Za-z]+)", 1).str.to_lowercase().alias("verb"))
    )
    # The person's turns: human spans, and the latest one a model call's input holds (prompt_turn,
    # answering the agent when an assistant message came before it: prompt_answers).
    turns = pl.concat(
        [
            s.filter(pl.col("kind") == "human").select(
                "run_id", pl.col("seq").alias("h_seq"), pl.col("output").alias("said"), pl.col("is_review").alias("answers")
            ),
            s.filter(pl.col("prompt_turn").is_not_null()).select(
                "run_id", pl.col("seq").alias("h_seq"), pl.col("prompt_turn").alias("said"), pl.col("prompt_answers").alias("answers")
            ),
        ]
    )
    confirmed = (
        calls.join(turns, on="run_id")
        .filter(pl.col("h_seq") < pl.col("seq"))
        .sort("h_seq")
        .group_by("run_id", "span_id")
        .agg(pl.col("said").last(), pl.col("answers").last(), pl.col("verb").first())
        .filter(
            pl.col("answers").fill_null(False)
            & (
                (pl.col("said").str.contains(AFFIRMATIVE) & ~pl.col("said").str.replace_all(_NOT_DECLINING, "").str.contains(DECLINING))
                # A typed confirmation: the turn opens with the action's own verb ("DELETE acme-staging").
                | pl.col("said").str.to_lowercase().str.contains(pl.concat_str(pl.lit(r"^\W*"), pl.col("verb"), pl.lit(r"\b")))
            ).fill_null(False)
        )
        .select("run_id", "span_id")
    )
    # Where the rule was read from a model call's input only, a call no readable turn of the person
    # came before is not judged (their words are not in the log to read).
    heard = calls.join(turns, on="run_id").filter(pl.col("h_seq") < pl.col("seq")).select("run_id", "span_id").unique()
    judged = pl.concat(
        [calls.filter(pl.col("rule_said")).select("run_id", "span_id"), heard]
    ).unique()
    return (
        calls.join(confirmed, on=["run_id", "span_id"], how="anti")
        .join(judged, on=["run_id", "span_id"], how="semi")
        .select("run_id", "span_id")
    )
