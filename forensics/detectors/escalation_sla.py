"""Which acknowledgement deadline an escalation is held to: its own record's, or the policy's.

An acknowledgement that came is late only against an SLA someone stated. The run can state it: a
ticketing system returns the record it opened with its deadline (ServiceNow's task ``sla_due``,
"SLA due", a glide_date_time the Table API returns as ``YYYY-MM-DD HH:MM:SS`` in UTC; a
``due_by`` / ``respond_by`` / ``response_due`` of a work queue). Where it does, that deadline is
the SLA. Otherwise the deployment's policy can (``thresholds.escalation_sla_seconds`` set above 0).
With neither, no lateness is judged: a number nobody stated is no SLA (PagerDuty's escalation
rules wait 30 minutes by default before paging the next level, a Zendesk first-reply target is
hours; no one figure fits pages, tickets and queues). An escalation nobody acknowledged before
the log ends needs no number, and is judged whatever the SLA.

A deadline no later than the escalation itself is no deadline it was given (a field carried over
from another record): it is not read.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q

#: A deadline field of the record and its date-time (ISO 8601 or ``YYYY-MM-DD HH:MM[:SS]``).
_DEADLINE: Final = (
    rf"(?i){Q}(?:sla_?due|sla_?deadline|due_?by|respond_?by|response_?due|ack(?:nowledge)?_?by)(?:_?at)?{Q}\s*:\s*{Q}"
    r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(:\d\d)?"
)


def record_deadline() -> pl.Expr:
    """The deadline the escalation's own result states (UTC), after the escalation (``t``), or null."""
    out = pl.col("output")
    stamp = pl.concat_str(
        [out.str.extract(_DEADLINE, 1), pl.lit(" "), out.str.extract(_DEADLINE, 2), out.str.extract(_DEADLINE, 3).fill_null(":00")]
    )
    due = stamp.str.strptime(pl.Datetime("ns", "UTC"), "%Y-%m-%d %H:%M:%S", strict=False)
    return pl.when(due > pl.col("t")).then(due)


def policy_sla(seconds: float) -> float | None:
    """The policy's acknowledgement SLA in seconds, or None where the policy sets none (0)."""
    return seconds if seconds > 0 else None


def late(sla: float | None) -> pl.Expr:
    """An acknowledgement (``ack_t``, ``delay_s``) past the escalation's deadline (``deadline``),
    or, with none recorded, past the policy's SLA when it sets one."""
    by_record = (pl.col("ack_t") > pl.col("deadline")).fill_null(False)
    if sla is None:
        return by_record
    return pl.when(pl.col("deadline").is_not_null()).then(by_record).otherwise((pl.col("delay_s") > sla).fill_null(False))


def sla_note(sla: float | None) -> pl.Expr:
    """What the escalation was held to, for the explanation: `` (SLA 900.0 s)``, `` (its record's
    deadline 2025-05-17 20:00:00)``, or nothing."""
    own = pl.format(" (its record's deadline {})", pl.col("deadline").dt.strftime("%Y-%m-%d %H:%M:%S"))
    policy = pl.lit(f" (SLA {sla} s)") if sla is not None else pl.lit("")
    return pl.when(pl.col("deadline").is_not_null()).then(own).otherwise(policy)


def sla_passed(sla: float | None) -> pl.Expr:
    """The deadline an acknowledgement came after: `` its record's deadline ...`` or `` the 900.0 s SLA``."""
    own = pl.format(" its record's deadline {}", pl.col("deadline").dt.strftime("%Y-%m-%d %H:%M:%S"))
    return pl.when(pl.col("deadline").is_not_null()).then(own).otherwise(pl.lit(f" the {sla} s SLA"))
