"""A handoff sent as an A2A task that the remote agent took: a later read of the task found it under way or done.

A remote agent that works in the background answers an A2A ``message/send`` at once with the task
``submitted``, and the client follows it with ``tasks/get`` or a push notification (conventions
``remote_tasks``: a2aproject/a2a-python ``src/a2a/types.py`` ``TaskState``,
``src/a2a/client/transports/jsonrpc.py``). A delegation tool whose result is such a task (its name need
not spell the agent: ``delegate_to_hotel_agent`` sends to the agent card's "Hotel Booking Agent"),
followed in the run by a read of the same task id in a state the remote agent holds it in (or whose own
result already is in one), was picked up, whether or not the remote agent's own spans reached this
trace. A task left ``submitted`` and never read again stays the handoff's to judge.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: The states in which the remote agent holds the task (a2a-python ``TaskState``): it took it up.
#: Not ``submitted`` (queued, nobody on it), ``rejected`` (refused), ``canceled``, ``failed``, ``unknown``.
TAKEN_STATES: Final = ("working", "input-required", "auth-required", "completed")


def taken_remote_tasks(s: pl.LazyFrame, handoffs: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the handoffs whose result is an A2A task that the handoff's own result,
    or a later read of the same task in the run, reports in a state the remote agent holds it in."""
    sent = (
        s.join(handoffs.select("run_id", "span_id"), on=["run_id", "span_id"], how="semi")
        .filter(pl.col("remote_task_id").is_not_null())
        .select("run_id", "span_id", "run_key", "remote_task_id", pl.col("seq").alias("_h_seq"))
    )
    taken = s.filter(pl.col("remote_task_state").is_in(TAKEN_STATES)).select(
        "run_key", "remote_task_id", pl.col("seq").alias("_r_seq")
    )
    return (
        sent.join(taken, on=["run_key", "remote_task_id"])
        .filter(pl.col("_r_seq") >= pl.col("_h_seq"))
        .select("run_id", "span_id")
        .unique()
    )
