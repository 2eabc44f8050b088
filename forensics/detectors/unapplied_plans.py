"""An infrastructure plan never applied, reported as the change made: read by
``unbacked_claims.claimed_but_not_done``.

``terraform plan`` (and OpenTofu's ``tofu plan``) only computes a change: it prints "Terraform will
perform the following actions:" and the summary "Plan: 1 to add, 1 to change, 0 to destroy."
(hashicorp/terraform internal/command/jsonformat/plan.go; OpenTofu writes "OpenTofu will perform
..."), and without ``-out`` adds "Note: You didn't use the -out option to save this plan, so
Terraform can't guarantee to take exactly these actions if you run "terraform apply" now." Nothing
changes until ``terraform apply`` runs, which ends "Apply complete! Resources: 1 added, 1 changed, 0
destroyed." A tool that runs the plan hands that text back (a shell tool's stdout, Claude Code's Bash
result, a team's ``run_terraform`` / ``terraform_plan`` tool, a smolagents step's observation), or
its summary line inside its own JSON.

A plan is a silent failure only where the run then says the change is made: no call of the run
applied (no acting call named or told to ``apply``, no result saying "Apply complete!"), and the
final answer (or a message the run sent after the plan: a Slack post, when the model's own text was
not exported) says it is done, applied or live, and tells neither that it was a plan only, nor that
nothing was applied yet, nor that an apply is still to come. Decisive: the first model call after the
plan's result, which reported instead of applying; the plan's call where the log has none.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context, finding, hms, snippet, txt
from forensics.detectors.findings import next_model_call

#: Terraform's / OpenTofu's rendering of a plan that changes something (module docstring): the
#: actions header, or the summary line with a count above zero ("No changes." is no plan to apply).
PLAN_RESULT: Final = (
    r"(?:Terraform|OpenTofu) will perform the following actions:"
    r"|Plan: (?:\d+ to import, )?(?:[1-9]\d* to add|\d+ to add, [1-9]\d* to change|\d+ to add, \d+ to change, [1-9]\d* to destroy)"
)
#: The apply itself: its closing line, or Terraform's "Apply cancelled." (an apply was tried: not
#: this reading's to judge).
_APPLY_RESULT: Final = r"Apply complete! Resources:|Apply cancelled\."
#: A call told to apply: its name (``terraform_apply``, ``apply_plan``), or its arguments holding the
#: word (``"command": "apply"``; ``apply_immediately`` is a variable) or a command line running it.
#: The table keeps arguments without whitespace (preparation: "args"), so ``terraform apply tfplan``
#: is read as ``terraformapplytfplan`` (``-chdir=<dir>`` allowed between).
_APPLY_NAME: Final = r"(?i)(?:^|[^a-z])apply(?:$|[^a-z])"
_APPLY_ARGS: Final = r"(?i)\bapply\b|(?:terraform|tofu|terragrunt)(?:-chdir=[^\"&;|]*?)?apply(?:[^a-z_]|$)"
#: A report that the change is made.
_SAYS_DONE: Final = (
    r"(?i)\b(?:done|applied|completed?|finished|live|rolled\s+out|deployed|in\s+effect)\b"
    r"|\b(?:has|have)\s+been\s+(?:changed|updated|resized|created|added|scaled|increased|bumped)\b"
)
#: A report telling it was a plan only, not applied, or that applying is still to come (or failed).
_TOLD_PLAN_ONLY: Final = (
    r"(?i)\bplan(?:ned)?\s+only\b|\bonly\s+(?:ran\s+|did\s+)?(?:a\s+|the\s+)?(?:terraform\s+|tofu\s+)?(?:init\s+and\s+(?:a\s+)?)?plan"
    r"|\bnot\s+(?:yet\s+)?(?:been\s+)?appl(?:ied|y)|n'?t\s+(?:yet\s+)?(?:been\s+)?appl(?:ied|y)|\bnothing\s+(?:\w+\s+){0,2}?applied"
    r"|\bunapplied\b|\bwould\s+(?:add|change|destroy|create|replace|update|resize)\b"
    r"|\b(?:I'?ll|I\s+will|I\s+can|shall\s+I|to|needs?\s+to|must|should|ready\s+to|before\s+(?:you\s+|we\s+|I\s+)?)\s+(?:\w+\s+){0,2}?apply\b"
    r"|\b(?:once|when|after|until)\s+(?:it\s+is\s+|it'?s\s+)?(?:applied|apply)\b|\bawaiting\b|\bpending\b|\bapprov\w*"
    r"|\bfail(?:s|ed|ure|ing)?\b|\berror\w*"
)
#: The same two readings of a call's arguments, which the table keeps without whitespace
#: (preparation: "args"): word edges are letters, the phrases run together ("planonly,NOTapplied").
_SAYS_DONE_ARGS: Final = r"(?i)(?:^|[^a-z])(?:done|applied|completed?|finished|live|resized|rolledout|deployed)(?:[^a-z]|$)"
_TOLD_ARGS: Final = (
    r"(?i)plan(?:ned)?only|onlyran(?:a|the)?(?:terraform|tofu)?plan|not(?:yet)?(?:been)?appl(?:ied|y)|n'?t(?:yet)?(?:been)?appl(?:ied|y)"
    r"|nothing[a-z]{0,12}applied|unapplied|would(?:add|change|destroy|create|replace|update|resize)|(?:before|to|ready)apply"
    r"|awaiting|pending|approv|fail(?:s|ed|ure|ing)?(?:[^a-z]|$)|error"
)


def unapplied_plans(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, end, call``: the last successful result of each run holding a plan
    of a change (:data:`PLAN_RESULT`), in runs where no acting call applied (module docstring)."""
    acting = pl.col("kind").is_in(["tool", "chain", "unknown"])
    s = ctx.spans.lazy().filter(acting)
    plans = (
        s.filter(pl.col("succeeded") & pl.col("output").str.contains(PLAN_RESULT).fill_null(False))
        .sort("run_id", "seq")
        .group_by("run_id", maintain_order=True)
        .agg(pl.col("span_id", "seq", "t", "end_time", "call").last())
        .collect()
    )
    # A call that applied is looked for only in the runs holding a plan (few; none on most nights):
    # the three readings over every acting call's name, arguments and result cost 0.5 CPU s at the
    # bench night's 584k spans.
    applied = s.filter(pl.col("run_id").is_in(plans.get_column("run_id").implode())).filter(
        pl.col("call").str.contains(_APPLY_NAME).fill_null(False)
        | pl.col("args").str.contains(_APPLY_ARGS).fill_null(False)
        | pl.col("output").str.contains(_APPLY_RESULT).fill_null(False)
    ).select("run_id")
    return plans.lazy().join(applied, on="run_id", how="anti")


def unapplied_claims(ctx: Context, besides: pl.LazyFrame) -> pl.LazyFrame:
    """Findings (``finding`` columns): an unapplied plan (:func:`unapplied_plans`) under a run that
    did not end in error, whose final answer, or a message an acting call after the plan sent, says
    the change is done and tells no plan only (module docstring), in the runs with no finding in
    ``besides`` (one claim, one finding). Evidence: the plan, the model call after it and the claim;
    decisive: that model call, else the plan's call."""
    planned = unapplied_plans(ctx).collect()
    plans = planned.lazy().join(besides.select("run_id"), on="run_id", how="anti")
    said = pl.col("_said")

    def claims(e: pl.Expr, done: str = _SAYS_DONE, told: str = _TOLD_PLAN_ONLY) -> pl.Expr:
        return e.str.contains(done).fill_null(False) & ~e.str.contains(told).fill_null(True)

    runs = ctx.runs.lazy().filter(pl.col("reported_outcome") != "error")
    answered = (
        runs.filter(claims(pl.col("final_output")))
        .select("run_id", pl.col("answer_span_id").alias("_claim_id"), pl.col("answer_t").alias("_claim_t"), pl.col("final_output").alias("_said"))
        .join(plans.select("run_id"), on="run_id", how="semi")
    )
    # Where the model's own text was not exported (an OpenAI Agents ``response`` span carries no
    # text), the claim is the message a later side-effecting call sent: its arguments.
    sent = (
        ctx.spans.lazy()
        # (The arguments are read only in the runs holding a plan: see unapplied_plans.)
        .filter(pl.col("run_id").is_in(planned.get_column("run_id").implode()))
        .filter((pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("is_side_effect") & claims(pl.col("args"), _SAYS_DONE_ARGS, _TOLD_ARGS))
        .join(plans.select("run_id", pl.col("seq").alias("_p_seq")), on="run_id")
        .filter(pl.col("seq") > pl.col("_p_seq"))
        .join(runs.select("run_id"), on="run_id", how="semi")
        .sort("run_id", "seq")
        .group_by("run_id", maintain_order=True)
        .agg(pl.col("span_id").first().alias("_claim_id"), pl.col("t").first().alias("_claim_t"), pl.col("args").first().alias("_said"))
    )
    claimed = (
        pl.concat([answered, sent.join(answered, on="run_id", how="anti")], how="vertical_relaxed")
        .join(plans, on="run_id")
    )
    after = next_model_call(ctx.spans.lazy(), claimed, after_end=True)
    return claimed.join(after, on="run_id", how="left").select(
        finding(
            "run_id",
            pl.concat_list("span_id", "_next", "_claim_id").list.drop_nulls().list.unique(maintain_order=True),
            pl.coalesce("_next", "span_id"),
            pl.format(
                "call {} at {} only planned the change (its result is a plan and no call of the run applied it), "
                'yet the run says at {} "{}"',
                txt(pl.col("call")), hms("t"), hms("_claim_t"), snippet(said, 160),
            ),
        )
    )  # fmt: skip
