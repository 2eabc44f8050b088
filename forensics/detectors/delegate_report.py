"""A delegate's report that says it did not do the work, passed on as if it had.

smolagents runs a managed agent as a call from the manager's code (``MultiStepAgent.__call__``,
``src/smolagents/agents.py``): whatever the delegate's run returns comes back as the manager's
observation, "Here is the final answer from your managed agent '<name>': ...", an ordinary string
whether the delegate did the work or not. Two ways it had not:

* it ran out of steps: ``_handle_max_steps_reached`` then asks the model once more
  (``provide_final_answer``, the "An agent tried to answer a user query but it got stuck" prompt)
  and returns that guess; the ``AgentMaxStepsError`` stays on the delegate's memory step, no span
  says it (the OpenInference ``_RunWrapper`` sees a run that returned normally);
* it said so: its report's outcome says it could not find or do what it was asked (the
  ``managed_agent.task`` template asks for "### 1. Task outcome (short version):" first).

When the manager then neither checked nor redid the work (no agent started, no tool ran but the
run's final one) and the run reported success, TAXONOMY's definitions are met literally:

* **missing_fallback** (``unhandled_error``: a call fails and what follows is none of a retry, a
  fallback, an escalation or a structured failure result; the run just carries on): the delegate's
  step limit is the failure, and the manager carried on;
* **silent_failure** (``swallowed_error``: the run reports success while it holds a failure never
  recovered): the run's answer is the stuck delegate's guess, or the value a delegate said it could
  not establish.

A third: the report came back and never reached the manager at all (a CodeAgent sees only what its
code prints: ``unread_delegate_report``, silent_failure as undelivered_output: the hand-back had no
receipt while the run reported success).

For the first two, not **ownership_gap**: the handoff was picked up (the delegate worked, its report was read), and its
signals (a target that never starts, an unacknowledged escalation, an error with no owning agent,
limbo) are not what happened. Seen on a held-out smolagents set, labelled there by these definitions.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.delegation import report_says_failed
from forensics.conventions.smol_steps import SMOL_STEP
from forensics.detectors.base import Context, Detector, finding, hms, txt
from forensics.detectors.findings import per_run_finding
from forensics.detectors.ownership_gap import delegations, not_taken_up
from forensics.detectors.registry import register
from forensics.detectors.report_reads import printed_by_code


def _stuck_delegates(ctx: Context) -> pl.LazyFrame:
    """Delegated runs that used up their steps and were not taken up: ``run_key, run_id,
    span_id, agent, by_agent, t, last_child`` (the closing model call)."""

    def build() -> pl.LazyFrame:
        s = ctx.spans.lazy()
        # Only the children of delegated agent runs are looked at (the join below keeps no other):
        # taken out first, so the sort and group-by read those rows only.
        delegated = delegations(ctx).select("run_key", pl.col("span_id").alias("parent_id"))
        # A stuck run has steps (smolagents' ``Step N`` chain children, SMOL_STEP): the delegated
        # runs with none are left out first. Any chain child is not a step: an OpenAI Agents SDK
        # agent's guardrail or custom span (OpenInference exports both as CHAIN) before its
        # closing answer is no step used up, and that agent's run ends on a model call every time.
        with_steps = (
            s.filter((pl.col("kind") == "chain") & pl.col("call").str.contains(SMOL_STEP).fill_null(False)
                     & pl.col("parent_id").is_not_null())
            .join(delegated, on=["run_key", "parent_id"], how="semi")
            .select("run_key", "parent_id")
            .unique()
        )
        children = (
            s.filter(pl.col("parent_id").is_not_null())
            .join(with_steps, on=["run_key", "parent_id"], how="semi")
            .sort("run_key", "seq")
            .group_by("run_key", "parent_id")
            .agg(
                pl.col("kind").last().alias("last_kind"),
                pl.col("span_id").last().alias("last_child"),
                ((pl.col("kind") == "chain") & pl.col("call").str.contains(SMOL_STEP).fill_null(False)).any().alias("has_steps"),
            )
            .rename({"parent_id": "span_id"})
        )
        stuck = (
            delegations(ctx)
            .join(children, on=["run_key", "span_id"])
            .filter((pl.col("last_kind") == "llm") & pl.col("has_steps"))
            .select("run_key", "run_id", "span_id", "agent", "by_agent", "t", "last_child",
                    pl.coalesce("end_time", "t").alias("d_end"))
        )
        return not_taken_up(ctx, stuck).sort("run_key", "t").group_by("run_key").agg(
            pl.col("run_id").first(),
            pl.col("span_id").first(),
            pl.col("last_child").first(),
            pl.col("agent").first(),
            pl.col("by_agent").first(),
            pl.col("t").first(),
        )

    # build() collects as it goes (not_taken_up, the owners): run on the first call only.
    return ctx.once("stuck_delegates", lambda: build().collect()).lazy()


def _stuck_findings(ctx: Context, explanation: pl.Expr) -> pl.LazyFrame:
    """A finding on each stuck delegate (:func:`_stuck_delegates`): its delegation and the closing
    guess (decisive), told by ``explanation``."""
    return _stuck_delegates(ctx).select(
        finding("run_id", pl.concat_list("span_id", "last_child"), "last_child", explanation)
    )


@register
class UncheckedStuckDelegate(Detector):
    name = "unchecked_stuck_delegate"
    failure_class = "missing_fallback"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        "A delegated agent run used up its steps (its last span is the model call the framework makes "
        "after the last step: smolagents' _handle_max_steps_reached asks the model for a best answer "
        "from the stuck agent's memory, and that comes back to the manager as an ordinary report), "
        "and afterwards no defined path followed: no other agent started and no tool was called "
        "except the run's final one, while the run reported success."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        return _stuck_findings(
            ctx,
            pl.format(
                "{} delegated work to {} at {}; the delegated run used up its steps and its answer was the "
                "framework's closing guess, yet afterwards nobody checked or redid the work (no other agent, "
                "no tool but the final one) and the run reported success",
                txt(pl.col("by_agent")),
                txt(pl.col("agent")),
                hms("t"),
            ),
        )


@register
class StuckGuessPassedOn(Detector):
    name = "stuck_guess_passed_on"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        "The run reported success with an answer that rests on a delegated run that used up its steps "
        "(the framework's closing guess, smolagents _handle_max_steps_reached), unchecked: the step "
        "limit the delegate hit was never recovered (unchecked_stuck_delegate's case, told as the "
        "success it was reported as)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        return _stuck_findings(
            ctx,
            pl.format(
                "the run reported success on the closing guess of {} (delegated by {} at {}), which had used up "
                "its steps without finishing the work; nothing recovered it",
                txt(pl.col("agent")),
                txt(pl.col("by_agent")),
                hms("t"),
            ),
        )


#: A report's first sentence saying, impersonally, that the work did not happen: "The migration did
#: NOT apply.", "The deploy was not completed", "0042 has not been applied", "Migration failed with
#: a lock timeout". A Claude Code Task sub-agent reports in plain prose (the Task tool's result is
#: its final message, sub-agent prompt: "Report exactly what happened"), not in the first person.
NOT_DONE_OPENING: Final = (
    r"(?i)^\W*[^.!?\n]{0,80}?\b(?:did\s+not|didn'?t|was\s+not|wasn'?t|were\s+not|weren'?t|has\s+not|hasn'?t"
    r"|have\s+not|haven'?t|is\s+not|isn'?t|could\s+not|couldn'?t)\s+(?:been\s+|yet\s+)?"
    r"(?:appl|run|ran|complet|succe|deploy|creat|sent|sav|install|migrat|finish|updat|merg|execut|process|pass|upload|publish)\w*"
    r"|^\W*[^.!?\n]{0,80}?\b(?:failed|errored|aborted|timed\s+out)\b"
)


#: The same statement anywhere in a text: the run's answer relaying the delegate's failure.
NOT_DONE_ANYWHERE: Final = NOT_DONE_OPENING.replace(r"^\W*[^.!?\n]{0,80}?", r"(?:^|[.!?\n:]\s*)[^.!?\n]{0,80}?")


#: An answer saying it cannot give what was asked ("... so I can't give a EUR amount", "we could not
#: confirm the figure"): the delegate's inability passed on as such, which tells the user the work
#: was not done (a smolagents manager answering from a managed agent's report "The deal value was
#: NOT disclosed ... I could not check filings").
CANNOT_GIVE: Final = (
    r"(?i)\b(?:i|we)\s+(?:cannot|can[’']?t|can\s+not|could\s+not|couldn[’']?t|(?:am|are|was|were)\s+(?:unable|not\s+able)\s+to)"
    r"\s+(?:give|provide|share|tell|state|report|quote|confirm|verify|determine|find|say)\b"
)


#: A past participle, regular ("booked", "changed") or one of English's common irregular ones
#: ("made", "sent", "taken"): the act a negated statement says did not happen. The irregular ones
#: are listed, not read by an ending: "-en" words are as often no participle ("even", "open", "then").
_PARTICIPLE: Final = (
    r"(?:[a-z]+ed|made|sent|done|set|put|run|paid|built|kept|held|found|bought|brought|sold|told|left|"
    r"begun|got|gotten|shut|cut|spent|won|taken|given|written|chosen|broken|shown|drawn|seen|withdrawn|undone)"
)
#: The auxiliary a negated perfect or passive carries ("has not been", "was not", "haven't"); the
#: pluperfect "had not" is left out: it tells what was so before ("the parcel, which had not
#: arrived, is rebooked").
_AUX_NOT: Final = r"(?:(?:has|have|was|were|is|are)\s+not|(?:has|have|was|were|is|are)n['’]?t)"

#: An answer saying, in its own words, that an act did not happen, whichever act: a negated perfect
#: or passive ("I have not made any appointment", "the shipment was not rebooked", "has not yet been
#: applied"), a sentence or clause opening on a negated participle ("Not booked.", "Status: not
#: sent"), or nothing / no thing as the subject of a passive ("Nothing was changed", "no appointment
#: was created"). The grammar of a negated act, not any one act's verb: a manager relaying its
#: delegate's "I could not book" may say "Not booked ... I have not made any appointment"
#: (smolagents ``final_answer``), "No order was placed" or "the refund has not been issued".
NOT_DONE_SAID: Final = (
    rf"(?i)\b{_AUX_NOT}\s+(?:yet\s+|been\s+|yet\s+been\s+)?{_PARTICIPLE}\b"
    rf"|(?:^|[.!?\n:;]\s*)not\s+(?:yet\s+)?{_PARTICIPLE}\b"
    rf"|\b(?:nothing|no\s+[a-z]+(?:\s+[a-z]+)?)\s+(?:was|were|is|are|has\s+been|have\s+been)\s+{_PARTICIPLE}\b"
)
#: Participles of need, not of an act: "no further changes are needed" says no work was wanting,
#: not that the work was left undone. Taken out before :data:`NOT_DONE_SAID` is read.
_NEED_WORDS: Final = r"(?i)\b(?:needed|required|wanted|warranted)\b"


def says_not_done(answer: pl.Expr) -> pl.Expr:
    """The answer says in its own words that an act did not happen (:data:`NOT_DONE_SAID`)."""
    return answer.str.replace_all(_NEED_WORDS, "").str.contains(NOT_DONE_SAID).fill_null(False)


def opens_not_done(report: pl.Expr) -> pl.Expr:
    """A report whose first sentence says the work did not happen (:data:`NOT_DONE_OPENING`)."""
    return report.str.slice(0, 200).str.contains(NOT_DONE_OPENING).fill_null(False)


def _worked_handoffs(ctx: Context) -> pl.LazyFrame:
    """Handoffs the delegate worked under and reported back from: a Claude Code ``Task`` tool call
    is the sub-agent's run (its messages, sidechain, nest under the call) and its result is the
    sub-agent's final message (loaders/claude_code.py). ``agent`` is the delegate, ``by_agent``
    the agent that handed off."""
    s = ctx.spans.lazy()
    handoffs = s.filter((pl.col("kind") == "handoff") & ~pl.col("failed") & pl.col("output").is_not_null())
    # The spans nested directly under one of those handoffs (a few handoffs: joined on their ids).
    nested = s.join(
        handoffs.select("run_id", pl.col("span_id").alias("parent_id")), on=["run_id", "parent_id"], how="semi"
    ).select("run_id", pl.col("parent_id").alias("span_id")).unique()
    return handoffs.join(nested, on=["run_id", "span_id"], how="semi").with_columns(
        pl.col("agent").alias("by_agent"), pl.coalesce("handoff_target", "call").alias("agent")
    )


def _not_redone(ctx: Context, reports: pl.LazyFrame) -> pl.LazyFrame:
    """The failed reports of a handed-off sub-agent (a Claude Code ``Task``) that stand on a failed
    call of its own, which the parent never redid: no delegation started after the report, and no
    later successful call of the tool that failed. A Task's result is the sub-agent's final
    message, returned to the parent as the tool result (loaders/claude_code.py): "The backfill did
    NOT run. psycopg2.OperationalError ..." over the failed Bash call. Other work the parent did
    next (the CHANGELOG edit the task asked for after the backfill) is not that work done; in a
    run that reported success the failure was passed on."""
    reports = reports.filter(pl.col("via_handoff")).collect().lazy()
    s = ctx.spans.lazy()
    inside = (
        s.filter((pl.col("kind") == "tool") & pl.col("failed"))
        .select("run_key", "agent", "call_tool", pl.col("t").alias("f_t"))
        .join(reports.select("run_key", "span_id", "agent", "t", "d_end"), on=["run_key", "agent"])
        .filter((pl.col("f_t") >= pl.col("t")) & (pl.col("f_t") <= pl.col("d_end")))
        .select("run_key", "span_id", "call_tool", "d_end")
        .unique()
    )
    again = (
        s.filter((pl.col("kind") == "tool") & pl.col("succeeded"))
        .select("run_key", "call_tool", pl.col("t").alias("l_t"))
        .join(inside, on=["run_key", "call_tool"])
        .filter(pl.col("l_t") > pl.col("d_end"))
        .select("run_key", "span_id")
    )
    delegated = (
        s.filter(pl.col("kind").is_in(["handoff", "agent"]))
        .select("run_key", pl.col("t").alias("l_t"))
        .join(reports.select("run_key", "span_id", "d_end"), on="run_key")
        .filter(pl.col("l_t") > pl.col("d_end"))
        .select("run_key", "span_id")
    )
    succeeded = ctx.runs.lazy().filter(pl.col("reported_outcome") == "success").select("run_id")
    return (
        reports.join(inside.select("run_key", "span_id").unique(), on=["run_key", "span_id"], how="semi")
        .join(succeeded, on="run_id", how="semi")
        .join(pl.concat([again, delegated]).unique(), on=["run_key", "span_id"], how="anti")
    )


@register
class FailedReportPassedOn(Detector):
    name = "failed_report_passed_on"
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        "A delegated agent run ended normally with a report whose outcome says it could not do the "
        "work (the short outcome of smolagents' managed-agent report, or its opening: 'I could not "
        "find ...', a structured failure), and afterwards nobody redid it (no other agent started, no "
        "tool ran but the run's final one; for a handed-off sub-agent whose own call failed, no later "
        "delegation and no later successful call of that tool) while the run reported success and its "
        "answer does not relay the failure (says-failure, says it cannot give what was asked, or says an "
        "act did not happen: 'Not booked', 'no appointment was created'): the manager passed a failure on "
        "as an answer."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        cols = ("run_key", "run_id", "span_id", "seq", "agent", "by_agent", "t", pl.coalesce("end_time", "t").alias("d_end"))
        reports = pl.concat(
            [
                delegations(ctx)
                .filter(~pl.col("failed") & pl.col("output").is_not_null())
                .filter(report_says_failed(pl.col("output")) | opens_not_done(pl.col("output")))
                .select(*cols, pl.lit(False).alias("via_handoff")),
                _worked_handoffs(ctx).filter(opens_not_done(pl.col("output"))).select(*cols, pl.lit(True).alias("via_handoff")),
            ]
        )
        # A run whose answer relays the failure ("the migration did not apply: ...") told its user.
        from forensics.conventions.outcome import SAYS_FAILED_TEXT

        relayed = ctx.runs.lazy().filter(
            pl.col("final_output").str.contains(NOT_DONE_ANYWHERE).fill_null(False)
            | pl.col("final_output").str.contains(SAYS_FAILED_TEXT).fill_null(False)
            | pl.col("final_output").str.contains(CANNOT_GIVE).fill_null(False)
            | says_not_done(pl.col("final_output"))
        )
        # Materialised: read twice below (the next step, and the finding).
        passed = (
            pl.concat([not_taken_up(ctx, reports), _not_redone(ctx, reports)], how="vertical_relaxed")
            .unique(["run_key", "span_id"])
            .join(relayed.select("run_id"), on="run_id", how="anti")
            .collect()
            .lazy()
        )
        # Decisive: the report itself, the output that was misread (docs/DETECTORS.md, "Which span is
        # decisive": an output passed on is named by the span that produced it, as error_as_data
        # names the error-shaped result and stuck_guess_passed_on the closing guess). The delegating
        # agent's next step, where it was read as an answer, is evidence.
        s = ctx.spans.lazy()
        steps = s.filter(pl.col("kind").is_in(["chain", "llm"])).select(
            "run_key", pl.col("agent").alias("by_agent"), pl.col("seq").alias("n_seq"),
            pl.col("span_id").alias("next_id"), pl.col("t").alias("n_t"),
        )
        nxt = (
            passed.join(steps, on=["run_key", "by_agent"])
            .filter(pl.col("n_t") >= pl.col("d_end"))
            .sort("n_seq")
            .group_by("run_key", "span_id")
            .agg(pl.col("next_id").first())
        )
        # A Task sub-agent's report tells of a failed call of its own (the migration's lock timeout):
        # that call is where the failure began; the report passed it on.
        failed_calls = s.filter((pl.col("kind") == "tool") & pl.col("failed")).select(
            "run_key", "agent", pl.col("span_id").alias("fail_id"), pl.col("t").alias("f_t"), pl.col("seq").alias("f_seq")
        )
        began = (
            passed.join(failed_calls, on=["run_key", "agent"])
            .filter((pl.col("f_t") >= pl.col("t")) & (pl.col("f_t") <= pl.col("d_end")))
            .sort("f_seq")
            .group_by("run_key", "span_id")
            .agg(pl.col("fail_id").first())
        )
        per_run = (
            passed.join(nxt, on=["run_key", "span_id"], how="left")
            .join(began, on=["run_key", "span_id"], how="left")
            .sort("run_key", "t")
            .group_by("run_key")
            .agg(
                pl.col("run_id").first(),
                pl.col("span_id").first(),
                pl.col("next_id").first(),
                pl.col("fail_id").first(),
                pl.col("agent").first(),
                pl.col("by_agent").first(),
                pl.col("t").first(),
            )
        )
        return per_run.select(
            finding(
                "run_id",
                pl.concat_list("fail_id", "span_id", "next_id").list.drop_nulls(),
                pl.coalesce("fail_id", "span_id"),
                pl.format(
                    "{} delegated work to {} at {}, whose report said it could not do it; nobody redid the work "
                    "(no other agent took it up, no call did it again) and the run reported success",
                    txt(pl.col("by_agent")),
                    txt(pl.col("agent")),
                    hms("t"),
                ),
            )
        )


#: A report's own words, for finding it again in what the manager saw: without smolagents'
#: managed-agent template heading ("### 1. Task outcome (short version):"), without whitespace
#: (observations are re-wrapped), the first 40 characters.
_TEMPLATE_HEAD: Final = r"(?i)^#*\s*1\.\s*task\s+outcome\s*\(short\s+version\)\s*:?"


def _gist(text: pl.Expr) -> pl.Expr:
    return text.str.strip_chars().str.replace(_TEMPLATE_HEAD, "").str.replace_all(r"\s+", "").str.slice(0, 40)


@register
class UnreadDelegateReport(Detector):
    name = "unread_delegate_report"
    # TAXONOMY silent_failure, undelivered_output: "the run claims completion but its output went
    # nowhere: ... a handoff was emitted with no receipt". The delegate did the work and handed it
    # back; the hand-back had no receipt, and the run reported success without it. Not ownership_gap:
    # the delegate took the work up (no dangling handoff, no unacknowledged escalation).
    failure_class = "silent_failure"
    scope = "run"
    severity = "high"
    strength = "weak"
    description = (
        "A delegated agent run reported back, and its report never reached the delegating agent: no "
        "observation of that agent's steps from the delegation on holds it (a smolagents CodeAgent sees "
        "only what its code prints and the last expression's value: `result = search_agent(...)` shows "
        "'Last output from code snippet: None'), nor does the final answer, and afterwards nobody redid "
        "the work (no other agent, no tool but the final one) while the run reported success: the "
        "delegate's work was done and nobody took it up."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        # Only where the delegation was made from a step whose observation is recorded (smolagents'
        # Step N span, its output.value the observations: OpenInference _StepWrapper): elsewhere
        # what the delegating agent saw is not in the log, and an absence proves nothing.
        observed_steps = s.filter((pl.col("kind") == "chain") & pl.col("output").is_not_null()).select(
            "run_key", pl.col("span_id").alias("parent_id")
        )
        reports = (
            delegations(ctx)
            .join(observed_steps, on=["run_key", "parent_id"], how="semi")
            .filter(~pl.col("failed") & pl.col("output").is_not_null())
            .with_columns(_gist(pl.col("output")).alias("gist"), pl.coalesce("end_time", "t").alias("d_end"))
            .filter(pl.col("gist").str.len_chars() >= 8)
            .select("run_key", "run_id", "span_id", "parent_id", "agent", "by_agent", "t", "d_end", "gist")
        )
        unread = not_taken_up(ctx, reports)
        # The manager's code printed the variable it assigned the report to, or handed it to
        # final_answer (report_reads.py): it reached the manager, whatever the recorded observation kept.
        unread = unread.join(printed_by_code(ctx, unread), on=["run_key", "span_id"], how="anti")
        # What the delegating agent saw from the delegation on: the observations of its steps (the
        # step holding the call ends after it; later steps start after it), and the run's answer.
        seen = (
            s.filter(pl.col("kind") == "chain")
            .select("run_key", pl.col("agent").alias("by_agent"), pl.col("t").alias("o_t"),
                    pl.coalesce("end_time", "t").alias("o_end"),
                    pl.col("output").str.replace_all(r"\s+", "").alias("o_text"))
        )
        read = (
            unread.join(seen, on=["run_key", "by_agent"])
            .filter(
                ((pl.col("o_t") <= pl.col("t")) & (pl.col("o_end") >= pl.col("d_end")))
                | (pl.col("o_t") >= pl.col("d_end"))
            )
            .filter(
                pl.col("o_text").str.contains(pl.col("gist"), literal=True).fill_null(False)
                # Or smolagents' own wrapper of the report, with the delegate's name (the observation
                # may be cut short before the report's words: truncate_content, attribute limits).
                | pl.col("o_text")
                .str.contains(pl.format("Hereisthefinalanswerfromyourmanagedagent'{}'", pl.col("agent")), literal=True)
                .fill_null(False)
            )
            .select("run_key", "span_id")
            .unique()
        )
        answers = ctx.runs.lazy().select(
            "run_id", pl.col("final_output").str.replace_all(r"\s+", "").alias("answer")
        )
        passed_on = (
            unread.join(answers, on="run_id")
            .filter(pl.col("answer").str.contains(pl.col("gist"), literal=True).fill_null(False))
            .select("run_key", "span_id")
        )
        kept = unread.join(read, on=["run_key", "span_id"], how="anti").join(
            passed_on, on=["run_key", "span_id"], how="anti"
        )
        return per_run_finding(
            kept,
            key="run_key",
            order="t",
            first=["agent", "by_agent", "t"],
            explanation=pl.format(
                "{} delegated work to {} at {}; the report came back but never reached {} (no observation of its "
                "steps holds it, nor does the answer), and nobody redid the work before the run reported success",
                txt(pl.col("by_agent")),
                txt(pl.col("agent")),
                hms("t"),
                txt(pl.col("by_agent")),
            ),
        )
