"""unguarded_action: an irreversible tool ran with no human approval or guardrail before it."""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.api_deletes import irreversible_requests
from forensics.detectors.approval_parts import (
    approved_beside_a_rejection,
    approved_by_response,
    approved_in_prompt,
    approver_turn_before,
)
from forensics.detectors.approved_amounts import above_approval
from forensics.detectors.base import Context, Detector, moment, txt
from forensics.detectors.button_approvals import clicked_approvals
from forensics.detectors.cluster_targets import production_cluster_acts
from forensics.detectors.confirmation_rule import unconfirmed_actions
from forensics.detectors.consumed_messages import acknowledged_messages
from forensics.detectors.duplicate_refunds import duplicate_charge_refunds
from forensics.detectors.findings import per_run_finding
from forensics.detectors.interrupted_calls import resumed_after_approval
from forensics.detectors.irreversible_evidence import declared_by_definition, named_evidence
from forensics.detectors.lapsed_approvals import acted_after_lapse
from forensics.detectors.mass_updates import mass_changes
from forensics.detectors.own_objects import made_by_the_run
from forensics.detectors.registry import register
from forensics.detectors.returned_approvals import returned_approval
from forensics.detectors.shell_commands import destructive_commands
from forensics.detectors.skipped_backups import backup_skipped_migrations
from forensics.detectors.ungated_confidence import acting_components

#: Words before the verb that take the request back ("don't charge", "never delete").
#: A result saying the action was staged, not carried out: a draft, an object waiting for a
#: person's approval or confirmation (Stripe's PaymentIntent requires_confirmation / requires_action,
#: a payout batch or e-mail saved as a draft). Nothing irreversible happened yet. (A dry run:
#: dry_runs.)
STAGED_RESULT: Final = (
    r"""(?i)["']?(status|state)["']?\s*[:=]\s*["']?(draft\w*|requires_\w+|awaiting_\w+|pending_(approval|review|confirmation)"""
    r"""|needs_\w*approval|not_submitted)\b"""
)
#: A tool whose name asks a person to approve, confirm or review (request_refund_approval,
#: ask_for_confirmation, submit_for_review, create_approval_request), or waits for the answer to
#: such a request (wait_for_approval, await_confirmation, poll_approval: the step that blocks until
#: the person decides and returns the decision): the guard, not the action.
#: The irreversible verb in its name ("refund") is what it asks about, not what it does.
APPROVAL_REQUEST: Final = (
    r"(?i)(^|[^a-z])(request|ask|seek|get|submit|send|wait|await|poll)(s|ed|ing)?[._-]?(\w+[._-])?(for[._-])?"
    r"(approval|confirmation|consent|review|sign[._-]?off)([^a-z]|$)"
    r"|(^|[^a-z])(approval|confirmation|review)[._-]?request(s|ed)?([^a-z]|$)"
)
#: A removal (drop, delete, truncate, purge, wipe) told to write its result to another file or
#: table than the one it read (``{"path": "a.csv", "where": ..., "out": "a_clean.csv"}``, pandas'
#: ``df.dropna().to_csv(out)``, SQL ``CREATE TABLE b AS SELECT ... FROM a``): the source is left as
#: it was, so nothing was destroyed; the copy can be deleted. The source and output values are
#: read from the call's JSON arguments by key; the same value on both sides is an in-place edit.
_REMOVAL: Final = r"(?i)(^|[^a-z])(delete|drop|truncate|purge|wipe|destroy)"
_SOURCE_ARG: Final = (
    r"""["'](?:path|file|file_?path|input|input_?(?:path|file)|src|source|table|from)["']\s*:\s*["']([^"']+)["']"""
)
_OUTPUT_ARG: Final = (
    r"""["'](?:out|output|out_?(?:path|file)|output_?(?:path|file|table)|dest|destination|dst|save_as|to_path)["']"""
    r"""\s*:\s*["']([^"']+)["']"""
)


#: Why a reviewed-looking call was not: the approval it waited for lapsed (lapsed_approvals).
LAPSED_REASON: Final = "after the approval the run requested for it lapsed with no decision"
#: Why a call that is not irreversible by name still needed a guard (confirmation_rule).
CONFIRMATION_REASON: Final = "which the run's instructions allow only after the user's explicit confirmation; no yes answered it"


def writes_a_copy() -> pl.Expr:
    """A removal whose arguments send its result to another file or table than its source."""
    src = pl.col("args").str.extract(_SOURCE_ARG, 1)
    out = pl.col("args").str.extract(_OUTPUT_ARG, 1)
    return (pl.col("call").str.contains(_REMOVAL) & (src != out)).fill_null(False)


_NEGATED: Final = r"(?i)\b(?:not|never|no|don'?t|doesn'?t|didn'?t|won'?t|without|stop|cancel|avoid)\b"


def asked_for(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the irreversible calls a signed-in person asked for by name before
    they ran: a person's turn (a human span: never a tool's output or another agent's message)
    earlier in the run's order that names the tool's verb and its object ("... please refund the
    payment" for ``refund_payment``), not negated, in a run whose log says the person is
    authenticated (``authenticated``: an explicit flag or OpenTelemetry's ``enduser.id``) and
    nowhere says they are not. That instruction is the person's own approval of that very action;
    an anonymous or unverified requester's is not, nor is one that did not name the action."""
    from forensics.detectors.claim_vocabulary import noun_pattern, tool_verb_object

    s = ctx.spans.lazy()
    signed_in = (
        s.group_by("run_id")
        .agg(
            (pl.col("authenticated") == True).any().alias("yes"),  # noqa: E712
            (pl.col("authenticated") == False).any().alias("no"),  # noqa: E712
        )
        .filter(pl.col("yes") & ~pl.col("no"))
        .select("run_id")
    )
    said = s.filter((pl.col("kind") == "human") & pl.col("output").is_not_null()).select(
        "run_id", pl.col("seq").alias("h_seq"), pl.col("output").alias("said")
    )
    pairs = (
        acts.select("run_id", "span_id", "seq", "call_tool")
        .join(signed_in, on="run_id", how="semi")
        .join(said, on="run_id")
        .filter(pl.col("h_seq") < pl.col("seq"))
        .collect()
    )
    found: list[pl.DataFrame] = []
    # One verb and object pattern per distinct tool name (a few), applied to its rows at once.
    for (name,), rows in pairs.partition_by(["call_tool"], as_dict=True).items():
        parts = tool_verb_object(str(name)) if name is not None else None
        if parts is None:
            continue
        verb, obj = parts
        verb_re = rf"(?i)([^.!?\n]*?)\b{re.escape(verb)}(?:s|es|d|ed|ing)?\b"
        named = rows.filter(
            pl.col("said").str.contains(verb_re)
            & pl.col("said").str.contains(rf"(?i)\b{noun_pattern(obj[-1])}\b")
            & ~pl.col("said").str.extract(verb_re, 1).str.contains(_NEGATED).fill_null(False)
        )
        found.append(named.select("run_id", "span_id"))
    if not found:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    return pl.concat(found).unique().lazy()


def approved_earlier_in_session(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the irreversible calls a pause earlier in the same session asked a
    person about: a LangGraph ``interrupt()`` (GraphInterrupt, ``__interrupt__``) or an approval
    request (``pause_kind`` interrupt or approval) in an earlier run of the same thread
    (``scope_key``: ``session_id``/``thread_id``), the call's run starting after the pause (the
    graph only runs again once a ``Command(resume=...)`` answers it), or earlier in the call's own
    run. The pause must be about that action: its text (the interrupt value, the approval request)
    names the tool, its verb or its object ("Approve refund of $40?" for ``issue_refund``), or is a
    call of that very tool stopped for approval (OpenAI Agents SDK ``needs_approval``: the runner
    executes it only once a person approved; a rejected call is answered with an error, never run).
    A pause about something else (another tool's action) guards nothing here; nor does a session
    with no earlier pause."""
    from forensics.detectors.claim_vocabulary import noun_pattern, tool_verb_object

    runs = ctx.runs.lazy().select("run_id", "scope_key", pl.col("start_time").alias("r_start"))
    pauses = (
        ctx.spans.lazy()
        .filter(pl.col("pause_kind").is_in(["interrupt", "approval"]).fill_null(False))
        .select(
            pl.col("run_id").alias("p_run"),
            pl.col("seq").alias("p_seq"),
            pl.col("t").alias("p_t"),
            pl.col("pause_text").alias("asked"),
            pl.col("call").alias("p_name"),
            pl.col("pause_escalation").alias("p_inner"),
        )
        .join(runs.select(pl.col("run_id").alias("p_run"), "scope_key"), on="p_run")
    )
    pairs = (
        acts.select("run_id", "span_id", "seq", "call_tool")
        .join(runs, on="run_id")
        .join(pauses, on="scope_key")
        .filter(
            pl.when(pl.col("p_run") == pl.col("run_id"))
            .then(pl.col("p_seq") < pl.col("seq"))
            .otherwise((pl.col("p_t") <= pl.col("r_start")).fill_null(False))
        )
        .collect()
    )
    found: list[pl.DataFrame] = [_passed_the_resumed_gate(ctx, pairs)]
    for (name,), rows in pairs.partition_by(["call_tool"], as_dict=True).items():
        if name is None:
            continue
        words = [re.escape(str(name))]
        parts = tool_verb_object(str(name))
        if parts is not None:
            verb, obj = parts
            words += [rf"{re.escape(verb)}(?:s|es|d|ed|ing)?", noun_pattern(obj[-1])]
        about = rf"(?i)\b(?:{'|'.join(words)})\b"
        # A pause at a call of this very tool (the call stopped for approval: OpenAI Agents SDK
        # needs_approval) is about it, whatever its text; the SDK runs the call only once approved.
        same_tool = pl.col("p_name") == pl.lit(str(name))
        found.append(rows.filter(pl.col("asked").str.contains(about).fill_null(False) | same_tool).select("run_id", "span_id"))
    if not found:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    return pl.concat(found).unique().lazy()


#: A person's approval as the gate's own result: a human-in-the-loop node returns the answer the
#: person resumed it with ({"approved": true, "approver": ...}, {"decision": "approve"}).
_APPROVED: Final = r'(?i)"(?:approved|approve)"\s*:\s*true\b|"decision"\s*:\s*"approved?"'


def _passed_the_resumed_gate(ctx: Context, pairs: pl.DataFrame) -> pl.DataFrame:
    """``run_id, span_id`` of the calls that ran after the node an earlier run of the session
    paused at ran again, answered, in the call's own run. LangGraph re-executes the node that called
    ``interrupt()`` from its start when the thread is resumed, and ``interrupt()`` then returns the
    value of ``Command(resume=...)`` (docs, human-in-the-loop: "resuming re-runs the node"); the
    node ending OK in the resumed run with the person's approval as its result ({"approved": true},
    {"decision": "approve"}) is the answer passing the gate, and what the graph does after it is
    downstream of that approval, whatever the question's wording. A gate whose result declines or
    carries no decision approved nothing."""
    # The node that called interrupt() (the innermost pause), not the graph runs above it that the
    # interrupt travelled up through.
    resumed = pairs.filter((pl.col("p_run") != pl.col("run_id")) & pl.col("p_inner").fill_null(False))
    resumed = resumed.join(
        ctx.spans.select("run_id", "span_id", pl.col("t").alias("a_t")), on=["run_id", "span_id"]
    ).select("run_id", "span_id", "a_t", "p_name")
    if resumed.height == 0:
        return pl.DataFrame(schema={"run_id": pl.String, "span_id": pl.String})
    gates = (
        ctx.spans.lazy()
        .join(resumed.lazy().select("run_id").unique(), on="run_id", how="semi")
        .filter(~pl.col("failed") & pl.col("pause_kind").is_null() & pl.col("end_time").is_not_null())
        .filter(pl.col("output").str.contains(_APPROVED).fill_null(False))
        .select("run_id", pl.col("call").alias("p_name"), pl.col("end_time").alias("g_end"))
        .collect()
    )
    # The gate answered before the call started (it ended first): the call is downstream of it.
    return (
        resumed.join(gates, on=["run_id", "p_name"])
        .filter(pl.col("g_end") <= pl.col("a_t"))
        .select("run_id", "span_id")
        .unique()
    )


def gated_inside(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls wrapped in a blocking approval: a span inside the call (its
    child) that returned a person's approval (preparation.PERSON_APPROVED: {"approved": true,
    "approver": ...}, {"decision": "approve"}) and ended before the call did. An approval decorator
    runs before the function it wraps and calls it only once a person approved (HumanLayer's
    ``require_approval``: humanlayer/core/approval.py creates a function call, polls it until its
    status says approved, then calls the function; FunctionCallStatus{approved, comment}), so
    the span of the gate sits inside the tool's own span. A gate that declined, or returned no
    decision, approved nothing."""
    from forensics.detectors.person_signals import PERSON_APPROVED

    calls = acts.select("run_id", "span_id", "end_time").collect()
    if calls.height == 0:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    # The children of the few candidate calls first, the approval regex on them only (not on every
    # span's output).
    children = (
        ctx.spans.lazy()
        .filter(pl.col("parent_id").is_in(calls.get_column("span_id").implode()) & ~pl.col("failed"))
        .select("run_id", pl.col("parent_id").alias("span_id"), pl.col("end_time").alias("g_end"), "output")
        .collect()
    )
    gates = children.filter(pl.col("output").str.contains(PERSON_APPROVED).fill_null(False))
    return (
        calls.join(gates, on=["run_id", "span_id"])
        .filter((pl.col("g_end") <= pl.col("end_time")).fill_null(True))
        .select("run_id", "span_id")
        .unique()
        .lazy()
    )


def _tripped_guardrail() -> pl.Expr:
    """A guardrail span whose tripwire fired (conventions.pauses: ``pause_kind`` tripwire)."""
    return (pl.col("kind") == "guardrail") & (pl.col("pause_kind") == "tripwire").fill_null(False)


@register
class UnguardedIrreversible(Detector):
    name = "unguarded_irreversible"
    failure_class = "unguarded_action"
    scope = "run"
    severity = "critical"
    strength = "strong"
    description = (
        "An irreversible tool (policy tools.irreversible: delete, pay, refund, deploy, drop) ran with "
        "no human review, guardrail span or approval tool (tools.approval) before it in the run's "
        "order (seq: message order where the source has no times). A tool whose own recorded description says "
        "it delivers a message (gen_ai.tool.description 'POSTs a deployment notice to the team's webhook'), its "
        "name's verb no irreversible act, posts a notice about the act and does not do it. A call that failed, or whose result "
        "is an error (error_as_data), did not act, nor did a dry run (its arguments turned its dry-run flag on, "
        "dry_run / DryRun / preview true or --dry-run, or its result says so; a flag that is off is no dry run). A step named human_approval (LangGraph's "
        "human-in-the-loop node) is an approval; request_human_approval only asks. In a run whose own "
        "instructions require the user's explicit confirmation before a change (tau-bench's policies: "
        "'obtain explicit user confirmation (yes) to proceed'), a side-effecting call that is not a message "
        "needs the person's yes, answering the agent, as their last turn before it (or a typed "
        "confirmation opening with the action's verb); any other turn reviews nothing. A person's opening request is "
        "not a review of the action it asks for; a person's turn answering the agent is. A signed-in "
        "person's own earlier instruction naming that very action (its verb and object) is their "
        "approval of it; an anonymous requester's, or one that did not name the action, is not. An "
        "interrupt or approval request earlier in the same session (a LangGraph thread resumed with "
        "Command(resume=...)) that names the action (the tool, its verb or object) guards it; one "
        "about another action does not, unless the node that paused ran again before the action in the "
        "resumed run (LangGraph re-runs the interrupted node on resume) and returned the person's "
        "approval (approved: true, decision: approve): the action is downstream of it. A call the "
        "session's previous run asked for in its last model turn and never ran, executed by the next run "
        "before any model call of its own, was paused for approval and resumed once approved (OpenAI Agents "
        "SDK needs_approval: RunResult.interruptions, state.approve, Runner.run(agent, state)). A kubectl or "
        "helm call that changes a cluster (apply, rollout restart, delete, scale, helm upgrade; not a read or a dry "
        "run) run against a context the run shows to be production (its --context or context argument, else the "
        "current context a call before it printed or switched to, else the first printed after it with no switch "
        "between) is a change applied to production (cluster_targets). A call a team member named approver took "
        "its turn before (an AutoGen group chat's sre_approver) was reviewed. A call "
        "wrapped in a blocking approval, a span inside it that returned the person's approval (approved: "
        "true) before it ended (HumanLayer require_approval), was approved. A call the run executed before its "
        "first model call that its own recorded prompt approved (Vercel AI SDK needsApproval: the last message's "
        "tool-approval-response approved: true for that tool call) was approved; a denial approves nothing. A "
        "call a person's recorded answer approved before it ran (Microsoft Agent Framework's "
        "function_approval_response approved: true for that tool and call id, or an application's approval span "
        "recording approved: true) was approved; a request nobody answered, or a rejection, approves nothing. A call "
        "after an approval returned to its run naming the person who decided it (a state approved or granted "
        "with decided_by / approved_by: a wait_for_approval tool's result, read from the next chat span's prompt "
        "where the tool span records none, as autogen-core's does; an application's approval.granted event) was "
        "approved, unless the decider is the acting agent or the record came from the agent's own call granting "
        "it (approve_change_request: an agent approving itself reviews nothing), or the approval step's own rule "
        "decided it when nobody answered (decided_by a policy / default / timeout: approval_deciders "
        "approved_by_default). A call after a wait step (await_user_confirmation) that returned a person's click on a "
        "confirming button (Slack block_actions: user, action_id confirm_*; not deny_* / cancel) was approved "
        "(button_approvals). A queue message deleted after a "
        "receive of the run (SQS receive_message, then delete_message) is the consumer's acknowledgement, not a "
        "loss. A "
        "call an approval request of its run was about, taken after that request lapsed (expired or timed out with "
        "nobody deciding: lapsed_approvals), is unguarded whatever came between. A "
        "removal of an object the run itself made (the first call naming it, by an argument value, a successful "
        "create / write / copy call: a scratch file, its own branch) lost nothing that was there before. A "
        "refund with Stripe's reason duplicate of a charge an earlier result of the run listed beside another "
        "charge of the same amount (records of one kind), one of them left charged, put the double charge right "
        "(duplicate_refunds). A removal told to write its result to another file or table "
        "than its source (an out / output_path / dest argument) left the source intact: it did not act. A SQL "
        "UPDATE with no WHERE (or a WHERE 1=1) on a production table whose result reports many rows changed rewrote "
        "them all (mass_updates). A payment above the amount its run's approvals named in that currency (approved_amount, "
        "max_amount; Stripe and Adyen amounts read from minor units) ran unguarded for the rest (approved_amounts). "
        "Strong only where the log says the act cannot be undone (irreversible_evidence): the tool's own description "
        "declares it, a well-known irreversible API operation (EC2 TerminateInstances, a Stripe refund), a verb that "
        "destroys or ships (delete, drop, purge, deploy ...; not a queue message's delete, a consumer's ack), a "
        "destructive command or API request, or an approval the run asked for and went ahead without. A name match "
        "alone (schedule_payment, issue_refund) is a hint: shown, no class (policy [strength] promote)."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        s = ctx.spans.lazy()
        # A guardrail that tripped said "stop", it did not pass the action (tripwire_overridden).
        first_review = (
            s.filter(pl.col("is_review") & ~_tripped_guardrail())
            .group_by("run_id")
            .agg(pl.col("seq").min().alias("r_seq"))
        )
        acted = (
            # (A request irreversible by its service's API outside any tool call: api_deletes.)
            pl.col("kind").is_in(["tool", "unknown", "chain"])
            # A call that failed, or whose result is an error (a Stripe-shaped {"error": ...} handed
            # back with OK status: error_as_data), did not act: nothing was refunded or deleted.
            & pl.col("succeeded")
            # A call stopped to wait for a person (an approval request, an interrupt) did not act,
            # nor did one whose result says it only staged the action (a draft awaiting release).
            & ~pl.col("pause_kind").is_in(["approval", "interrupt"]).fill_null(False)
            & ~pl.col("output").str.contains(STAGED_RESULT).fill_null(False)
            # A dry run (its flag on in the arguments, or its result saying so: conventions.dry_runs)
            # changed nothing.
            & ~pl.col("dry_run").fill_null(False)
            & ~pl.col("call").str.contains(APPROVAL_REQUEST).fill_null(False)
            # A removal written to a copy left its source intact (writes_a_copy).
            & ~writes_a_copy()
        )
        # A shell or SQL tool's name says nothing; its command line or statement does (shell_commands:
        # a force push, a drop, a truncate, a change applied to production that no person's turn
        # asked for by name).
        shell = destructive_commands(ctx)
        # A kubectl / helm call changing a cluster the run shows to be production, named by its
        # --context or by the current context the run printed (cluster_targets).
        cluster = production_cluster_acts(ctx)
        # A migration tool run against production with its backup off (skipped_backups); a SQL
        # UPDATE with no WHERE that reached many rows of a production table (mass_updates).
        for more in (cluster, backup_skipped_migrations(ctx), mass_changes(ctx)):
            if more is not None:
                shell = more if shell is None else pl.concat([shell, more]).unique(["run_id", "span_id"], keep="first")
        # The few candidate calls are taken out first and `acted` (result regexes) read on them
        # only: a filter after a join is pushed down to every span, and `&` evaluates both sides.
        # A request the service's API names irreversible (a DELETE, a POST to .../gdpr-delete, an
        # AWS DeleteObjects), whatever the tool is called: api_deletes.
        by_api = irreversible_requests(ctx)
        # A step that is no tool span but acts, named for an irreversible act (a Haystack custom
        # component `payout_writer`, a Langfuse v2 @observe function: ungated_confidence.acting_components).
        by_step = acting_components(ctx, ctx.policy.irreversible).with_columns(pl.lit(True).alias("is_irreversible"))
        # `_ev`: what in the log says the act cannot be undone (irreversible_evidence); an act with
        # none, matched by its name alone, is a hint.
        named = (
            pl.concat([s.join(by_api, on=["run_id", "span_id"], how="semi")
                       .with_columns(pl.lit(True).alias("is_irreversible"), pl.lit("api").alias("_ev")),
                       s.filter(pl.col("is_irreversible").fill_null(False)).with_columns(pl.lit(None, pl.String).alias("_ev")),
                       by_step.with_columns(pl.lit(None, pl.String).alias("_ev"))])
            .unique(["run_id", "span_id"], keep="first").collect().lazy()
            .filter(acted).with_columns(pl.lit(None, pl.String).alias("reason"), pl.lit(False).alias("forbidden"),
                                        pl.coalesce("_ev", named_evidence()).alias("_ev"))
        )  # fmt: skip
        parts = [named]
        if shell is not None:
            by_command = s.join(shell, on=["run_id", "span_id"], how="inner").collect().lazy()
            parts.append(by_command.filter(acted & ~pl.col("is_irreversible")).with_columns(pl.lit("command").alias("_ev")))
        acts = (
            pl.concat(parts, how="diagonal_relaxed")
            .join(first_review, on="run_id", how="left")
            .join(ctx.runs.lazy().select("run_id", "synthetic_time"), on="run_id", how="left")
            # A change the person had forbidden is not reviewed by a later turn that does not lift
            # the rule by name (shell_commands: forbidden).
            .filter(pl.col("r_seq").is_null() | (pl.col("r_seq") > pl.col("seq")) | pl.col("forbidden").fill_null(False))
            .collect()  # read by asked_for, approved_earlier_in_session and the finding: found once
            .lazy()
        )
        acts = acts.join(asked_for(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A run whose own instructions require the user's explicit confirmation before a change
        # (tau-bench's policies): a state-changing call there needs the person's yes right before
        # it; any other turn of theirs is no review of it, nor is their opening request.
        unconfirmed = (
            s.join(unconfirmed_actions(ctx), on=["run_id", "span_id"], how="inner")
            .collect()
            .lazy()
            .filter(acted)
            .with_columns(pl.lit(CONFIRMATION_REASON).alias("reason"), pl.lit("instructions").alias("_ev"))
            .join(ctx.runs.lazy().select("run_id", "synthetic_time"), on="run_id", how="left")
        )
        acts = pl.concat([acts, unconfirmed], how="diagonal_relaxed").unique(["run_id", "span_id"], keep="first").collect().lazy()
        acts = acts.join(approved_earlier_in_session(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A call an earlier run of the session stopped on for approval and this run resumed
        # (OpenAI Agents SDK needs_approval / RunState: interrupted_calls; the request in the
        # provider's shape or the OpenTelemetry GenAI conventions' tool_call part).
        acts = acts.join(resumed_after_approval(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A call an approval gate inside it let through (HumanLayer require_approval: gated_inside).
        acts = acts.join(gated_inside(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A call the run's own prompt approved (Vercel AI SDK needsApproval: approval_parts).
        acts = acts.join(approved_in_prompt(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A call resumed beside a rejected call of the same tool was approved (OpenAI Agents SDK
        # needs_approval: approval_parts.approved_beside_a_rejection).
        acts = acts.join(approved_beside_a_rejection(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A call a person's recorded answer approved (Agent Framework function_approval_response).
        acts = acts.join(approved_by_response(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A call a named person's returned approval guarded (an approval tool's answer, read from
        # the next prompt where its span holds none; an application's approval.granted: returned_approvals).
        acts = acts.join(returned_approval(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A call after a wait that returned a person's click on a confirm button (Slack block_actions:
        # button_approvals).
        acts = acts.join(clicked_approvals(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A call a team member named approver took its turn before (AutoGen group chat: approval_parts).
        acts = acts.join(approver_turn_before(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A queue message deleted after the run received it: the consumer's acknowledgement, SQS's
        # receive -> process -> delete (consumed_messages).
        acts = acts.join(acknowledged_messages(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A removal of what the run itself made first (a scratch file, its own branch: own_objects).
        acts = acts.join(made_by_the_run(ctx, acts), on=["run_id", "span_id"], how="anti")
        # A refund of a charge the run read beside its twin, reason duplicate: the error put right
        # (duplicate_refunds).
        acts = acts.join(duplicate_charge_refunds(ctx, acts), on=["run_id", "span_id"], how="anti")
        # An action the run's own approval request was about, taken after that request lapsed
        # (expired, timed out, nobody deciding): no other review stands in for the decision the run
        # said it needed and knew it lacked (lapsed_approvals).
        lapsed = (
            named.join(acted_after_lapse(s, named), on=["run_id", "span_id"], how="semi")
            .with_columns(pl.lit(LAPSED_REASON).alias("reason"), pl.lit("lapsed").alias("_ev"))
            .join(ctx.runs.lazy().select("run_id", "synthetic_time"), on="run_id", how="left")
        )
        # A payment above the amount its approval named: the approval covered less (approved_amounts).
        # The calls naming a currency taken out first (few), `acted` read on them only.
        over = (
            s.filter(pl.col("kind").is_in(["tool", "unknown"]) & pl.col("args").str.contains("(?i)currency").fill_null(False))
            .collect()
            .lazy()
            .filter(acted)
        )
        over = over.join(above_approval(ctx, over), on=["run_id", "span_id"]).with_columns(pl.lit("amount").alias("_ev")).join(
            ctx.runs.lazy().select("run_id", "synthetic_time"), on="run_id", how="left"
        )
        acts = pl.concat([acts, lapsed, over], how="diagonal_relaxed").unique(["run_id", "span_id"], keep="last")
        # An action taken right after a step that reported low confidence is that gate's story
        # (ungated_low_confidence, TAXONOMY missing_fallback): one action, one class.
        acts = acts.join(_ungated_after_low_confidence(ctx), on=["run_id", "span_id"], how="anti").collect().lazy()
        # A tool whose definition handed to the model declares its act permanent (irreversible_evidence).
        declared = declared_by_definition(ctx, acts.filter(pl.col("_ev").is_null())).with_columns(
            pl.lit("declared").alias("_dv")
        )
        acts = (
            acts.join(declared, on=["run_id", "span_id"], how="left")
            .with_columns(pl.coalesce("_ev", "_dv").alias("_ev"))
            .collect()
            .lazy()
        )
        strong = acts.filter(pl.col("_ev").is_not_null())
        # Matched by its name alone: a hint a reviewer sees, in a run with no evidenced act.
        by_name = acts.filter(pl.col("_ev").is_null()).join(strong.select("run_id").unique(), on="run_id", how="anti")
        hint = per_run_finding(
            by_name,
            first=["call", "agent", "t", "seq", "synthetic_time"],
            explanation=pl.format(
                "possible irreversible act: {}, by its name only ({} ran it {} with no human approval or guardrail "
                "before it; nothing in the log says it cannot be undone) ({} such call(s))",
                txt(pl.col("call")),
                txt(pl.col("agent"), "the run"),
                moment(),
                pl.col("n"),
            ),
            strength="hint",
        )
        return pl.concat([self._strong(strong), hint])

    @staticmethod
    def _strong(acts: pl.LazyFrame) -> pl.LazyFrame:
        return per_run_finding(
            acts,
            first=["call", "agent", "t", "seq", "synthetic_time", "reason", "is_irreversible"],
            explanation=pl.format(
                "{} ran {}tool {}{} {} with no human approval or guardrail before it ({} such call(s))",
                txt(pl.col("agent"), "the run"),
                pl.when(pl.col("is_irreversible").fill_null(True)).then(pl.lit("irreversible ")).otherwise(pl.lit("")),
                txt(pl.col("call")),
                pl.when(pl.col("reason").is_not_null()).then(pl.format(" ({})", pl.col("reason"))).otherwise(pl.lit("")),
                moment(),
                pl.col("n"),
            ),
        )


def _ungated_after_low_confidence(ctx: Context) -> pl.LazyFrame:
    """The actions ungated_low_confidence names decisive: ``run_id, span_id``."""
    from forensics.detectors.registry import findings_of

    found = findings_of(ctx, "ungated_low_confidence").lazy()
    return found.select("run_id", pl.col("decisive_span_id").alias("span_id"))


@register
class TripwireOverridden(Detector):
    name = "tripwire_overridden"
    failure_class = "unguarded_action"
    scope = "run"
    severity = "critical"
    strength = "strong"
    description = (
        "A guardrail tripped (OpenAI Agents SDK: the guardrail span's triggered=true, "
        "InputGuardrailTripwireTriggered / OutputGuardrailTripwireTriggered; conventions: pause_kind "
        "tripwire) and afterwards, in the same run, a side-effecting or irreversible tool still "
        "succeeded with no person's review in between: the stop was caught and ignored, so the action "
        "ran against its guard. A tripwire that ends the run, or work a person approved after it, is "
        "the guardrail doing its job."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        # The Runner raises the tripwire exception when the guardrail's result comes back
        # (src/agents/run.py _run_input_guardrails / _run_output_guardrails, src/agents/guardrail.py):
        # designed to end the run. Work after it means the caller caught the exception and went on.
        s = ctx.spans.lazy()
        # The guardrail span that tripped, or the span the tripwire exception was recorded on.
        trips = s.filter((pl.col("pause_kind") == "tripwire").fill_null(False)).select(
            "run_id",
            pl.col("span_id").alias("g_id"),
            pl.col("seq").alias("g_seq"),
            pl.coalesce("end_time", "t").alias("g_end"),
            pl.col("call").alias("guard"),
        )
        after = (pl.col("t") >= pl.col("g_end")).fill_null(pl.col("seq") > pl.col("g_seq"))
        acts = (
            s.filter(
                (pl.col("kind") == "tool")
                & (pl.col("is_side_effect") | pl.col("is_irreversible")).fill_null(False)
                & pl.col("succeeded")
            )
            .join(trips, on="run_id")
            .filter(after)
            .join(ctx.runs.lazy().select("run_id", "synthetic_time"), on="run_id", how="left")
        )
        # A person's review after the tripwire and before the action: they overrode it on purpose.
        reviews = s.filter(pl.col("is_review") & (pl.col("kind") != "guardrail")).select(
            "run_id", pl.col("seq").alias("r_seq")
        )
        reviewed = (
            acts.join(reviews, on="run_id")
            .filter((pl.col("r_seq") > pl.col("g_seq")) & (pl.col("r_seq") < pl.col("seq")))
            .select("run_id", "span_id")
            .unique()
        )
        ignored = acts.join(reviewed, on=["run_id", "span_id"], how="anti").unique(["run_id", "span_id"])
        return per_run_finding(
            ignored,
            first=["call", "agent", "t", "seq", "synthetic_time", "guard", "g_id"],
            also=[pl.col("span_id").n_unique().alias("n_acts")],
            explanation=pl.format(
                "guardrail {} tripped, yet {} went on and ran {} {} ({} side-effecting call(s) after the tripwire, "
                "none reviewed by a person)",
                txt(pl.col("guard")),
                txt(pl.col("agent"), "the run"),
                txt(pl.col("call")),
                moment(),
                pl.col("n_acts"),
            ),
        )
