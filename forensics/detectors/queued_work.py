"""Work filed to a queue whose own record says nobody holds it: an escalation to a queue.

A tool that opens a ticket, task or case in a team's queue gets the new record back, and a
ticketing system's record says both where the work sits and who holds it: Zendesk's ticket
``group_id`` and ``assignee_id`` ("the agent currently assigned to the ticket", null until someone
takes it), ServiceNow's ``assignment_group`` and ``assigned_to`` (empty until assigned), Jira's
``assignee`` (null), a work queue's ``queue``. A call whose result names the queue and leaves the
owner empty handed the work to a queue, whatever the tool is called (``create_pharmacist_review``):
an escalation that unacknowledged_escalation judges like a named one (taken when a later read of the
same record reports it assigned or worked on: ticket_followup.taken_later).

Only a record the call opened: its identifier appears nowhere in the call's arguments (a read or an
update of an existing ticket names it), and its status is not closed or resolved.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q
from forensics.detectors.ticket_followup import NO_OWNER, REFERENCE

#: The queue or group the record sits in, named (a string or a number, not null or empty).
_QUEUE: Final = rf"(?i){Q}(?:queue|group|group_?id|groupId|assignment_?group|team){Q}\s*:\s*(?:{Q}[^\"\\\s]|[0-9])"
#: A record already finished: nothing is waiting on it.
_FINISHED: Final = rf"(?i){Q}(?:status|state){Q}\s*:\s*{Q}(?:closed|resolved|solved|done|cancell?ed)"


def queued_unowned(spans: pl.LazyFrame, cols: tuple[str, ...]) -> pl.LazyFrame:
    """``cols`` of the successful tool calls whose result is a record they opened in a named queue
    with no owner (module docstring)."""
    out = pl.col("output")
    filed = spans.filter(
        (pl.col("kind") == "tool")
        & ~pl.col("failed")
        & out.str.contains(NO_OWNER).fill_null(False)
        & out.str.contains(_QUEUE).fill_null(False)
        & ~out.str.contains(_FINISHED).fill_null(False)
    )
    refs = (
        filed.select("run_id", "span_id", pl.col("args").fill_null(""), out.str.extract_all(REFERENCE).alias("ref"))
        .explode("ref")
        .with_columns(pl.col("ref").str.extract(REFERENCE, 1))
        .filter(pl.col("ref").str.len_chars().is_between(5, 64) & pl.col("ref").str.contains(r"\d"))
    )
    # A record named in the call's own arguments existed before it: a read or an update.
    known = refs.filter(pl.col("args").str.contains(pl.col("ref"), literal=True)).select("run_id", "span_id")
    opened = refs.select("run_id", "span_id").unique().join(known, on=["run_id", "span_id"], how="anti")
    return filed.join(opened, on=["run_id", "span_id"], how="semi").select(cols)
