"""When a later run of a session did again what an earlier one had just done: duplicate_side_effect.

Two runs of one session compared effect by effect, in the order the effects happened
(:data:`EFFECT_ORDER`), are the same job done twice when they are neighbours (one right after the
other in start order) and either

- were given the same request, the later one starting while the earlier was at work or within the
  resend window after it: a front end whose own timeout fired re-sends the user's request as a new
  run of the session (Strands: a new ``invoke_agent`` trace, the ``session.id`` of the agent's
  ``trace_attributes``, its input the new messages: strands-agents/sdk-python
  ``src/strands/telemetry/tracer.py`` ``start_agent_span``), and the earlier run, which never heard
  the client leave, did its work. The same words asked again after a while, or after another turn
  of the session between them, are the user's own;
- or neither records a request and both were at work at the same time: a scheduled job's run (its
  instructions are the agent's own; the OpenAI Agents SDK's agent span records no input, its runs
  grouped by ``group_id``: openai/openai-agents-python ``src/agents/tracing/traces.py``) started
  again by its scheduler while the previous one was still going (Kubernetes CronJob
  ``concurrencyPolicy: Allow``, the default; a ``*/15`` schedule whose run took 16 minutes), with
  nothing to tell the two apart.

Of two runs at work at once the slower may act second although it started first: the effect done
second is the repeat, whichever run it is in.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: The order effects are compared in: when they happened, then the run's start, its id and the
#: span's place in it (full tie-breaks: the same table gives the same findings).
EFFECT_ORDER: Final = ("scope_key", "t", "run_start", "run_id", "seq", "span_id")


def same_job_again(prev: dict[str, pl.Expr], window: pl.Expr) -> pl.Expr:
    """Whether this effect's run and the run of the previous same effect (``prev``: its columns
    ``task``, ``run_start``, ``run_end``, ``run_n``, shifted) are one job done twice (see the module)."""
    began = pl.max_horizontal("run_start", prev["run_start"])
    ended = pl.min_horizontal("run_end", prev["run_end"])
    adjacent = ((pl.col("run_n") - prev["run_n"]).abs() == 1).fill_null(False)
    resent = (prev["task"] == pl.col("task")).fill_null(False) & (began <= ended + window).fill_null(False)
    unasked = prev["task"].is_null() & pl.col("task").is_null() & (began <= ended).fill_null(False)
    return adjacent & (resent | unasked)
