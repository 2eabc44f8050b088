"""Work filed to a queue whose own record says nobody holds it: an escalation to a queue.

A tool that opens a ticket, task or case in a team's queue gets the new record back, and a
ticketing system's record says both where the work sits and who holds it: Zendesk's ticket
``group_id`` and ``assignee_id`` ("the agent currently assigned to the ticket", null until someone
takes it), ServiceNow's ``assignment_group`` and ``assigned_to`` (empty until assigned), Jira's
``assignee`` (null), a work queue's ``queue``. A call whose result names the queue and leaves the
owner empty handed the work to a queue, whatever the tool is called (``create_pharmacist_review``):
an escalation that unacknowledged_escalation judges like a named one (taken when a later read of the
same record reports it assigned or worked on: ticket_followup.taken_later).

A record's status can say the same as a queue name: Jira workflows keep an issue nobody has taken in
an ``Untriaged`` / ``Needs Triage`` / ``Backlog`` status (the flat value a tool returns, or Jira's
``fields.status.name``). An owner that is an account switched off (ticket_followup.DEAD_OWNER:
Jira ``active: false``, Okta ``DEPROVISIONED``) holds nothing either: routing rules keep assigning
to a leaver.

Jira's create-issue call returns only ``{"id", "key", "self"}`` (REST v3 POST /rest/api/3/issue):
who holds the issue shows only when the run reads it back (GET /rest/api/3/issue/{key}: ``fields.
assignee`` null, ``fields.status``). A call that opened a record (an identifier in its result, none
in its arguments) which a later read naming it reports unowned in a queue or triage status filed the
work there: the opening call is the escalation. A Langfuse v2 plain span (kind chain, no span under
it) is such a call as much as a tool is (conventions.loaded).

smolagents' OpenInference tool span records no result: the tool's result is the ``Step N`` span's
output (its observations; openinference-instrumentation-smolagents ``_StepWrapper``, smolagents
ToolCallingAgent: the tool's result becomes the observation). A step with one tool call under it
gives that call its result.

Only a record the call opened: its identifier appears nowhere in the call's arguments (a read or an
update of an existing ticket names it), and its status is not closed or resolved.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q
from forensics.conventions.smol_steps import SMOL_STEP
from forensics.detectors.ticket_followup import DEAD_OWNER, NO_OWNER, REFERENCE

#: The queue or group the record sits in, named (a string or a number, not null or empty).
_QUEUE: Final = rf"(?i){Q}(?:queue|group|group_?id|groupId|assignment_?group|team){Q}\s*:\s*(?:{Q}[^\"\\\s]|[0-9])"
#: A status that is itself a queue: nobody has triaged the record yet (flat, or Jira's {"name": ...}).
_TRIAGE: Final = (
    rf"(?i){Q}(?:status|state){Q}\s*:\s*(?:\{{[^{{}}]*?{Q}name{Q}\s*:\s*)?{Q}"
    r"(?:un[ _-]?triaged|needs?[ _-]triage|awaiting[ _-]triage|to[ _-]triage|backlog)\b"
)
#: A record already finished: nothing is waiting on it.
_FINISHED: Final = rf"(?i){Q}(?:status|state){Q}\s*:\s*{Q}(?:closed|resolved|solved|done|cancell?ed)"


def _unowned_in_queue(out: pl.Expr) -> pl.Expr:
    """A record (``out``) that sits in a queue or a triage status with nobody able to hold it."""
    return (
        (out.str.contains(NO_OWNER) | out.str.contains(DEAD_OWNER))
        & (out.str.contains(_QUEUE) | out.str.contains(_TRIAGE))
        & ~out.str.contains(_FINISHED)
    ).fill_null(False)


def _calls(spans: pl.LazyFrame) -> pl.LazyFrame:
    """The successful calls with the result they returned: tool spans (a smolagents tool given its
    step's observations), and plain spans with nothing under them (a Langfuse v2 function span)."""
    parents = spans.select("run_id", pl.col("parent_k").alias("span_k")).drop_nulls().unique()
    steps = spans.filter((pl.col("kind") == "chain") & pl.col("call").str.contains(SMOL_STEP).fill_null(False))
    tools_per_step = (
        spans.filter(pl.col("kind") == "tool")
        .group_by("run_id", "parent_k")
        .agg(pl.len().alias("_n_tools"))
        .join(steps.select("run_id", pl.col("span_k").alias("parent_k"), pl.col("output").alias("_step_out")), on=["run_id", "parent_k"])
        .filter(pl.col("_n_tools") == 1)
        .select("run_id", "parent_k", "_step_out")
    )
    leaf_chain = (pl.col("kind") == "chain") & ~pl.col("call").str.contains(SMOL_STEP).fill_null(False)
    return (
        spans.filter(((pl.col("kind") == "tool") | leaf_chain) & ~pl.col("failed"))
        .join(parents.with_columns(pl.lit(True).alias("_has_child")), on=["run_id", "span_k"], how="left")
        .filter((pl.col("kind") == "tool") | pl.col("_has_child").is_null())
        .join(tools_per_step, on=["run_id", "parent_k"], how="left")
        .with_columns(pl.coalesce("output", pl.when(pl.col("kind") == "tool").then(pl.col("_step_out"))).alias("_result"))
        .drop("_has_child", "_step_out")
    )


def _opened(calls: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, seq, ref`` of the identifiers a call's result returned that its arguments
    do not name: the records it opened."""
    refs = (
        calls.select("run_id", "span_id", "seq", pl.col("args").fill_null(""), pl.col("_result").str.extract_all(REFERENCE).alias("ref"))
        .explode("ref")
        .with_columns(pl.col("ref").str.extract(REFERENCE, 1))
        .filter(pl.col("ref").str.len_chars().is_between(5, 64) & pl.col("ref").str.contains(r"\d"))
    )
    # A record named in the call's own arguments existed before it: a read or an update.
    known = refs.filter(pl.col("args").str.contains(pl.col("ref"), literal=True)).select("run_id", "span_id")
    return refs.join(known, on=["run_id", "span_id"], how="anti").select("run_id", "span_id", "seq", "ref")


def queued_unowned(spans: pl.LazyFrame, cols: tuple[str, ...], acts: str) -> pl.LazyFrame:
    """``cols`` of the successful calls that opened a record in a named queue (or triage status)
    with no owner, by their own result or a later read of the record (module docstring). Read
    back, only a call that acts (named by ``acts``, the policy's side-effecting words: a create,
    not a search whose result lists records others opened) opened what the read reports."""
    # The calls with their unowned test, collected once: four parts below read them, and the
    # record tests read each result once.
    # Only the columns read here and returned: the joins below carried every prepared column.
    keep = dict.fromkeys(
        [*cols, "run_id", "span_id", "span_k", "parent_k", "kind", "call", "failed", "seq", "args", "output"]
    )
    calls = (
        _calls(spans.select(list(keep)))
        .with_columns(_unowned_in_queue(pl.col("_result")).alias("_unowned"))
        .collect()
        .lazy()
    )
    unowned = calls.filter(pl.col("_unowned"))
    # Both ways in need an unowned record in the run (the call's own result, or a later read of it):
    # the identifiers are taken out of the calls of those runs only (few at a night of traffic).
    opened = _opened(calls.join(unowned.select("run_id").unique(), on="run_id", how="semi"))
    filed = opened.join(unowned.select("run_id", "span_id"), on=["run_id", "span_id"], how="semi")
    acting = calls.filter(pl.col("call").str.contains(acts).fill_null(False)).select("run_id", "span_id")
    reads = unowned.filter(pl.col("args").is_not_null()).select(
        "run_id", pl.col("seq").alias("r_seq"), pl.col("args").alias("r_args")
    )
    read_back = (
        opened.join(acting, on=["run_id", "span_id"], how="semi")
        .join(reads, on="run_id")
        .filter((pl.col("r_seq") > pl.col("seq")) & pl.col("r_args").str.contains(pl.col("ref"), literal=True))
    )
    ids = pl.concat([filed.select("run_id", "span_id"), read_back.select("run_id", "span_id")]).unique()
    # The record as the call returned it, for the explanation and the acknowledgement checks.
    return calls.join(ids, on=["run_id", "span_id"], how="semi").with_columns(pl.col("_result").alias("output")).select(cols)
