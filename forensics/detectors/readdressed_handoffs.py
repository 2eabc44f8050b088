"""Handoffs refused for naming no such agent, then made again to an agent that took the work.

CrewAI's delegation tools (``Delegate work to coworker``, ``Ask question to coworker``) look the
coworker up by role; a role not in the crew runs nobody, and the tool returns the refusal as its
result (crewAIInc/crewAI src/crewai/tools/agent_tools/base_agent_tools.py ``BaseAgentTool._execute``:
``i18n.errors("agent_tool_unexisting_coworker")``, src/crewai/translations/en.json: "Error
executing tool. coworker mentioned not found, it must be one of the following options: ..."). The
model reads the list and may delegate again to a role on it. The first handoff was re-addressed,
not left lying: when the same agent's later handoff in the run was taken up (it is not dangling
itself), the refused one is no dangling handoff. One the agent never made again stays dangling.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: The delegation tool's refusal of a coworker not in the crew (en.json agent_tool_unexisting_coworker).
COWORKER_NOT_FOUND: Final = "coworker mentioned not found"


def readdressed(s: pl.LazyFrame, handoffs: pl.LazyFrame, dangling: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``dangling`` handoffs refused for naming no such coworker after
    which the same agent handed off again in the run, and that later handoff is not in ``dangling``
    (its target took it)."""
    refused = (
        s.filter(pl.col("output").str.contains(COWORKER_NOT_FOUND, literal=True).fill_null(False))
        .select("run_id", "span_id")
        .join(dangling.select("run_id", "span_id", "seq", "agent"), on=["run_id", "span_id"])
    )
    taken = handoffs.select("run_id", pl.col("span_id").alias("_l_id"), pl.col("seq").alias("_l_seq"), "agent").join(
        dangling.select("run_id", pl.col("span_id").alias("_l_id")), on=["run_id", "_l_id"], how="anti"
    )
    return (
        refused.join(taken, on=["run_id", "agent"], nulls_equal=True)
        .filter(pl.col("_l_seq") > pl.col("seq"))
        .select("run_id", "span_id")
        .unique()
    )
