"""A later delegation of another task to another coworker is a new request, not a retry.

CrewAI's delegation tools take the work and the coworker as arguments (``Delegate work to
coworker``: task, context, coworker; ``Ask question to coworker``: question, context, coworker:
crewAIInc/crewAI src/crewai/tools/agent_tools/delegate_work_tool.py, ask_question_tool.py). A
manager calls the same tool for every piece of work it hands out, so "a later call of the same
tool" is not yet the failed delegation made again: after "Error executing tool. coworker mentioned
not found" (base_agent_tools.py ``_execute``) a call handing the formatting to the report writer
did not do the research the refused call asked for. The same task again (re-addressed to a role on
the list, or reworded to the same coworker) is a retry, as before; only another task to another
coworker is not.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: The task (or question) and the coworker in a delegation's whitespace-free arguments (preparation's
#: ``args``), wherever the tracer put them (CrewAI's own ``{"task", "context", "coworker"}``, under
#: OpenInference's ``ToolUsage._use`` input).
_TASK: Final = r'"(?:task|question)":"((?:[^"\\]|\\.)*)"'
_COWORKER: Final = r'"coworker":"((?:[^"\\]|\\.)*)"'


def delegated_task(args: str, prefix: str) -> list[pl.Expr]:
    """The task and the coworker (lower-cased) a call's ``args`` name, as the columns
    ``{prefix}task`` and ``{prefix}coworker`` (null where it names none): read once per call, before
    the calls are paired (per pair, the four regexes ran on every failure's every later call)."""
    return [
        pl.col(args).str.extract(_TASK, 1).alias(f"{prefix}task"),
        pl.col(args).str.extract(_COWORKER, 1).str.to_lowercase().alias(f"{prefix}coworker"),
    ]


def another_task_to_another_coworker(prefix: str, later_prefix: str) -> pl.Expr:
    """True where both calls name a task and a coworker (:func:`delegated_task`'s columns with these
    prefixes), and the later one differs in both."""
    task, later_task = pl.col(f"{prefix}task"), pl.col(f"{later_prefix}task")
    who, later_who = pl.col(f"{prefix}coworker"), pl.col(f"{later_prefix}coworker")
    return ((task != later_task) & (who != later_who)).fill_null(False)
