"""Delegation: which agent a delegated agent run is, where the framework names it only in the task.

smolagents runs a managed agent as a call from the manager's code: ``MultiStepAgent.__call__``
wraps the manager's request in the ``managed_agent.task`` prompt template
(``src/smolagents/prompts/code_agent.yaml`` / ``toolcalling_agent.yaml``: "You're a helpful agent
named '{{name}}'. You have been submitted this task by your manager. ...") and calls
``self.run(full_task)``. The OpenInference instrumentation names every run span after the agent's
class (``_RunWrapper``: ``f"{instance.__class__.__name__}.run"``, ``smolagents.task`` = the task),
so a CodeAgent managing a CodeAgent writes two ``CodeAgent.run`` spans, one nested in the other's
step: the loaders' ``agent`` column (the span name) cannot tell them apart and the delegation is
invisible. The managed agent's own name is in the task it was handed; this convention reads it
into ``delegate_name`` (on that agent span; null elsewhere), and the delegation rules compare
``coalesce(delegate_name, agent)``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: smolagents' managed_agent.task template, as it reaches the run span's input (``task``) and
#: ``smolagents.task``; the name is whatever the manager's ``managed_agents`` entry is called.
_MANAGED_TASK: Final = r"You're a helpful agent named '([^'\\]+)'"

#: Who an agent span is, for the delegation rules: the name its manager gave it, else ``agent``.
AGENT_WHO: Final = pl.coalesce("delegate_name", "agent")


def _extract() -> list[pl.Expr]:
    # Only agent spans are read (a handful): taken out, read, put back in place, so the wide
    # input column of every other span is never scanned.
    agent = (pl.col("kind") == "agent").fill_null(False)
    named = pl.col("input").filter(agent).str.extract(_MANAGED_TASK, 1)
    return [named.gather(pl.when(agent).then(agent.cast(pl.UInt32).cum_sum() - 1)).alias("_cv_delegate_name")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("_cv_delegate_name").alias("delegate_name"))


register(
    Convention(
        name="delegation",
        signals=(
            Signal(
                "managed agent run span whose task is the managed_agent.task template (You're a helpful agent named '<name>' ...)",
                "smolagents (OpenInference instrumentation)",
                "src/smolagents/agents.py (MultiStepAgent.__call__: managed_agent task template, self.run), "
                "src/smolagents/prompts/code_agent.yaml (managed_agent.task); openinference-instrumentation-smolagents "
                "_wrappers.py (_RunWrapper: span name <AgentClass>.run, smolagents.task)",
                "delegate_name (the delegation rules compare coalesce(delegate_name, agent))",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={"delegate_name": "the name a manager gave the delegated agent run (smolagents managed agent), else null"},
    )
)
