"""Runs an application parked on purpose to wait for a person: open, and not hung.

An in-house agent that logs lifecycle events (conventions.lifecycle: ``run.started`` ...
``run.finished``) and hands a decision to a person writes that it parked itself: ``run.suspended``
(``"status": "waiting_on_human"``, "paused until nurse review decision") after it escalated, and
writes its end only when the answer resumes it. The same pause the workflow engines name:
Prefect's ``suspend_flow_run`` / ``pause_flow_run`` put a flow run in a ``Suspended`` / ``Paused``
state until input arrives (PrefectHQ/prefect ``src/prefect/flow_runs.py``), Temporal's workflows
block on a signal. The root's start has no end, so the run reads open, but nothing hung: the run
went where its design sends it, and whether anybody took the escalation up is the escalation's
story (unacknowledged_escalation, limbo), not a stall's. Only when the run escalated before the
pause, and did no agent work after it (a model or tool call after a suspension is the run resumed,
and a hang after that is a hang); the queue's own monitor events (an SLA check) are not the run.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: ``<subject>.<phase>`` where the phase says the work parked itself to wait (the lifecycle
#: convention's separators).
_SUSPENDED: Final = r"(?i)^(.+?)[._:/ -](?:suspended|suspend|paused|pause)$"
#: Work of the run's own agent: what a resumed run does.
_WORK: Final = ("llm", "tool", "retriever", "agent", "handoff")


def suspended_for_a_person(ctx: Context) -> pl.LazyFrame:
    """``run_id`` of the runs whose last thing of their own is a suspension event of the root's
    subject (``run.suspended`` under ``run.started``), written after an escalation of the run."""
    s = ctx.spans.lazy()
    subject = pl.col("call").str.extract(r"(?i)^(.+?)[._:/ -][A-Za-z_]+$", 1).str.to_lowercase()
    roots = s.filter(pl.col("is_root") & (pl.col("kind") == "event")).select("run_id", subject.alias("_subject"))
    pauses = (
        s.filter((pl.col("kind") == "event") & pl.col("call").str.contains(_SUSPENDED).fill_null(False))
        .select("run_id", pl.col("seq").alias("_p_seq"), pl.col("call").str.extract(_SUSPENDED, 1).str.to_lowercase().alias("_subject"))
        .join(roots, on=["run_id", "_subject"], how="semi")
        .group_by("run_id")
        .agg(pl.col("_p_seq").max())
    )
    escalated = (
        s.filter(pl.col("is_escalation") & ~pl.col("failed"))
        .group_by("run_id")
        .agg(pl.col("seq").min().alias("_e_seq"))
    )
    worked = s.filter(pl.col("kind").is_in(_WORK)).group_by("run_id").agg(pl.col("seq").max().alias("_w_seq"))
    return (
        pauses.join(escalated, on="run_id")
        .join(worked, on="run_id", how="left")
        .filter((pl.col("_e_seq") < pl.col("_p_seq")) & (pl.col("_w_seq").fill_null(-1) < pl.col("_p_seq")))
        .select("run_id")
    )
