"""ownership_gap's orphan_failure: a failure with no owning agent anywhere up its ancestry.

In a run with agents, an error span outside every agent; in a run with none (a scheduled job, a
batch workflow), the run's own failure recorded on its root with nothing inside it failing: a
LlamaIndex workflow run whose step raised (llama_index/core/workflow/workflow.py: the step worker's
exception ends the run, ``handler`` raises it; openinference-instrumentation-llama-index _handler.py
ends the workflow's span with the error, its step spans OK or absent) failed where no agent was
accountable for it. A failure inside a workflow run that records itself as one (Mastra's
``workflow_run`` span: conventions ``in_workflow``) is the workflow's: it has an owner.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context, Detector, hms, txt
from forensics.detectors.findings import per_run_finding
from forensics.detectors.handling import unhandled_failures
from forensics.detectors.registry import register

#: The span kinds of a job's own code: a workflow, a chain, a span with no kind. A model or tool call
#: that is its run's only span is a fragment whose caller is in another trace (unhandled_error's).
JOB_KINDS = ("chain", "unknown")


@register
class OrphanFailure(Detector):
    name = "orphan_failure"
    failure_class = "ownership_gap"
    scope = "run"
    severity = "medium"
    strength = "strong"
    description = (
        "In a run with agents, an error span with no owning agent anywhere up its ancestry: "
        "nobody is accountable for it. In a run with no agent at all (a scheduled job, a batch "
        "workflow), the run's root failed with nothing inside it failing: the job's own code raised "
        "and no agent or handler owned the failure; in a job that calls no model at all, the failed "
        "call unhandled_error names."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:
        runs = ctx.runs.lazy().select("run_id", "has_agents")
        # A job with no agent: only its root's own failure (one that carried up a failed call is
        # that call's, unhandled_error's), and only where the root is the job's code, not a call.
        job_failure = pl.col("is_root") & pl.col("kind").is_in(JOB_KINDS) & ~pl.col("has_agents")
        orphans = (
            ctx.spans.lazy()
            # A failure the framework handed back as a result was owned by whoever read it.
            .filter(
                pl.col("failed")
                & pl.col("agent").is_null()
                & ~pl.col("has_failed_child")
                & ~pl.col("error_handled")
                # A step or budget limit stopping the run is the framework's own guard firing.
                & ~pl.col("limit_stop")
                # Inside a workflow run, the workflow owns its steps' failures (workflow_owner).
                & ~pl.col("in_workflow")
            )
            .join(runs, on="run_id")
            .filter(pl.col("has_agents") | job_failure)
            # A failure something handled (a retry, a fallback, an escalation, a report: the
            # client that resent an HTTP request outside any agent owned it) is not unowned.
            .join(unhandled_failures(ctx), on=["run_id", "span_id"], how="semi")
        )
        orphans = orphans.join(_under_unexported_parent(ctx, orphans), on=["run_id", "span_id"], how="anti")
        orphans = pl.concat(
            [orphans.select("run_id", "span_id"), _modelless_job_failures(ctx), _unended_run_failures(ctx)]
        ).unique()
        orphans = ctx.spans.lazy().join(orphans, on=["run_id", "span_id"], how="semi")
        return per_run_finding(
            orphans,
            first=["kind", "call", "error_label", "t"],
            explanation=pl.format(
                "{} {} failed with {} at {} outside any agent, so no agent owned the failure "
                "({} unowned error(s) in the run)",
                pl.col("kind"),
                txt(pl.col("call")),
                pl.col("error_label"),
                hms("t"),
                pl.col("n"),
            ),
        )


def _modelless_job_failures(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id``: the failure unhandled_error names in each run with no agent and no model
    call (and no later run of its session).

    In a job where no model is called at all (a CronJob running an agent's tools directly, an
    embedding batch: no agent span and no LLM span anywhere), nothing in the run is an agent, so the
    failed call unhandled_error names there is unowned too: an orphan_failure beside it, on the same
    span. A run that calls a model is an LLM app whose calls are its agent's steps: a call failing
    there is unhandled_error's alone. A session that went on in a later run (a job queue that
    re-enqueued the thread, a person who asked again) had someone to pick its failure up."""
    from forensics.detectors.registry import findings_of

    runs = ctx.runs.lazy().filter(~pl.col("has_agents"))
    models = ctx.spans.lazy().filter(pl.col("kind") == "llm").select("run_id").unique()
    sessions = ctx.runs.lazy().filter(pl.col("session_id").is_not_null()).select("run_id", "session_id", "start_time")
    went_on = (
        sessions.join(sessions, on="session_id", suffix="_l")
        .filter(pl.col("start_time_l") > pl.col("start_time"))
        .select("run_id")
        .unique()
    )
    jobs = runs.join(models, on="run_id", how="anti").join(went_on, on="run_id", how="anti").select("run_id")
    return (
        findings_of(ctx, "unhandled_error")
        .lazy()
        .join(jobs, on="run_id", how="semi")
        .select("run_id", pl.col("decisive_span_id").alias("span_id"))
        .drop_nulls()
    )


def _unended_run_failures(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id``: the failed model call that ended a run whose agent span was never
    exported (the run's work under a parent absent from the export: ``unexported_runs``).

    smolagents re-raises a model call's failure out of the run (huggingface/smolagents
    ``src/smolagents/agents.py``: ``_step_stream`` wraps the model's exception in
    ``AgentGenerationError``, and the step loop's ``except AgentGenerationError as e: raise e``, where
    every other ``AgentError`` is recorded on the step and the loop goes on); the OpenInference run
    wrapper then records the exception on the run span and re-raises without ending it
    (Arize-ai/openinference ``openinference-instrumentation-smolagents`` ``_wrappers.py``
    ``_RunWrapper``), so the agent span, the owner, is never exported. What remains is the step,
    failed by the exception leaving its ``start_as_current_span`` block, over the failed model
    call, with nothing after them. Such a failure had no owner: no agent in the export holds it,
    and nothing took it up. The signal that the run died of it rather than was cut mid-way by the
    export: the failure left the step (the step failed, its own parent never exported) and it is
    the run's last work. A failure the step kept (a tool's error fed back as an observation, the
    step OK) or one work followed (the next step, a retry) is a run still going.

    And only in a scheduled job (conventions ``scheduled_job``: its resource names a Kubernetes
    CronJob or Job): a service's request has a caller, which receives the exception ``agent.run``
    raised and answers the request with it; the failure is then missing_fallback's alone
    (unhandled_error, stall). A Job's pod has nobody to receive it."""
    from forensics.detectors.unexported import unexported_runs

    s = ctx.spans.lazy()
    hung = unexported_runs(ctx).lazy()
    exported = s.select("run_id", pl.col("span_id").alias("parent_id"))
    # The step the failure left: failed itself, under a parent the export never held.
    steps = (
        s.filter(pl.col("failed") & pl.col("parent_id").is_not_null() & pl.col("agent").is_null())
        .join(exported, on=["run_id", "parent_id"], how="anti")
        .select("run_id", pl.col("span_id").alias("parent_id"))
    )
    work = (
        s.filter(~pl.col("http_attempt").fill_null(False) & pl.col("scheduled_job"))
        .join(hung, on="run_id", how="semi")
    )
    return (
        work.filter(pl.col("seq") == pl.col("seq").max().over("run_id"))
        .filter((pl.col("kind") == "llm") & pl.col("failed") & pl.col("agent").is_null())
        .join(steps, on=["run_id", "parent_id"], how="semi")
        .join(unhandled_failures(ctx), on=["run_id", "span_id"], how="semi")
        .select("run_id", "span_id")
    )


def _under_unexported_parent(ctx: Context, candidates: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``candidates`` whose ancestry climbs to a parent the export does
    not hold (the span itself, or one above it, names a parent absent from its run). Nothing up such
    a chain says nobody owned the failure: the owner is the span that was never exported. smolagents'
    managed agent is the case: a model call failing inside it raises out of its run
    (``AgentGenerationError`` re-raised by the step loop, huggingface/smolagents
    ``src/smolagents/agents.py``), the OpenInference run wrapper never ends the agent's span
    (openinference-instrumentation-smolagents ``_wrappers.py`` ``_RunWrapper``), and the manager's
    step that called it receives the exception as its tool call's error: the manager owned it, and
    what it did next is the other rules' to judge. A run that died of it in a scheduled job is
    :func:`_unended_run_failures`' (nobody there to receive it)."""
    from forensics.conventions.ancestry import spans_below

    picked = candidates.select("run_id", "span_id").collect()
    if not picked.height:
        return picked.lazy()
    df = ctx.spans.select("run_id", "run_key", "span_id", "span_k", "parent_id", "parent_k")
    wanted = df.join(picked, on=["run_id", "span_id"], how="semi")
    # Only in runs whose own root was exported (a span with no parent): a service's trace whose
    # top span has a remote parent (another process's) is whole as exported, and its failures are
    # judged as before.
    rooted = df.filter(pl.col("parent_id").is_null()).select("run_key").unique()
    runs = df.join(wanted.select("run_key").unique(), on="run_key", how="semi").join(rooted, on="run_key", how="semi")
    # A span whose parent is named but not in its run's export: the top of a detached chain.
    tops = runs.filter(pl.col("parent_id").is_not_null()).join(
        runs.select("run_key", pl.col("span_id").alias("parent_id")), on=["run_key", "parent_id"], how="anti"
    )
    below = spans_below(runs, wanted.select("run_key", "span_k"), tops.get_column("span_k"))
    detached = pl.concat([below, tops.get_column("span_k")])
    return wanted.filter(pl.col("span_k").is_in(detached.implode())).select("run_id", "span_id").lazy()
