"""Delegation: which agent a delegated agent run is, where the framework names it only in the task.

smolagents runs a managed agent as a call from the manager's code: ``MultiStepAgent.__call__``
wraps the manager's request in the ``managed_agent.task`` prompt template
(``src/smolagents/prompts/code_agent.yaml`` / ``toolcalling_agent.yaml``: "You're a helpful agent
named '{{name}}'. You have been submitted this task by your manager. ...") and calls
``self.run(full_task)``. The OpenInference instrumentation names every run span after the agent's
class (``_RunWrapper``: ``f"{instance.__class__.__name__}.run"``, ``smolagents.task`` = the task),
so a CodeAgent managing a CodeAgent writes two ``CodeAgent.run`` spans, one nested in the other's
step: by the span name alone the two could not be told apart. The managed agent's own name is in
the task it was handed (``forensics.semconv_agents.MANAGED_AGENT_TASK``): finalisation makes it the sub-run's
``agent`` (inherited by its work), and this convention reads it into ``delegate_name`` (on that
agent span; null elsewhere), which the delegation rules compare as ``coalesce(delegate_name, agent)``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register
from forensics.semconv_agents import MANAGED_AGENT_TASK

#: smolagents' managed_agent.task template, as it reaches the run span's input (``task``) and
#: ``smolagents.task``; the name is whatever the manager's ``managed_agents`` entry is called.
_MANAGED_TASK: Final = MANAGED_AGENT_TASK

#: Who an agent span is, for the delegation rules: the name its manager gave it, else ``agent``.
AGENT_WHO: Final = pl.coalesce("delegate_name", "agent")

#: The short outcome of a report written to smolagents' managed-agent template ("### 1. Task
#: outcome (short version):", src/smolagents/prompts/*.yaml managed_agent.task); the detailed
#: version and the context after it often mention a source that could not be opened on the way
#: to a good answer, so only the short outcome is read. A report without the template is read by
#: its opening (the first 200 characters).
_SHORT_OUTCOME: Final = r"(?is)task\s+outcome\s*\(short\s+version\)\s*:?\s*(.*?)(?:#{2,}|\n\s*\n|$)"


def report_says_failed(report: pl.Expr) -> pl.Expr:
    """A delegated run's report (its output) says it could not do the work: its short outcome (else
    its opening) is a says-failure sentence ("I could not find ...") or a structured failure."""
    # Imported here: importing outcome at the top would register its convention before this
    # module's, and conventions run (and are tabled) in their package's import order.
    from forensics.conventions.outcome import SAYS_FAILED_STRUCTURED, SAYS_FAILED_TEXT

    short = pl.coalesce(report.str.extract(_SHORT_OUTCOME, 1), report.str.slice(0, 200))
    return short.str.contains(SAYS_FAILED_TEXT).fill_null(False) | short.str.contains(SAYS_FAILED_STRUCTURED).fill_null(
        False
    )


#: The OpenAI Agents SDK's record of handoffs it dropped: when one model response calls several
#: handoff tools, ``execute_handoffs`` (src/agents/_run_impl.py) runs only the first, answers every
#: other with "Multiple handoffs detected, ignoring this one." and sets the handoff span's error
#: SpanError(message="Multiple handoffs requested", data={"requested_agents": [...]}) (the JS SDK,
#: packages/agents-core/src/runImplementation.ts, writes the same). The loader keeps the error's
#: data under ``@error_data``. OpenInference's processor (openinference-instrumentation-openai-agents
#: _processor.py _get_span_status) writes the error as the status description
#: ``f"{error.get('message')}: {error.get('data')}"``: the data is Python's repr of the dict,
#: ``Multiple handoffs requested: {'requested_agents': ['Flight Agent', 'Hotel Agent']}`` (a name
#: holding a quote is written between double quotes).
_MULTIPLE_HANDOFFS: Final = "Multiple handoffs requested"
_REPR_REQUESTED: Final = r"""^Multiple handoffs requested: \{'requested_agents': \[(.*)\]\}$"""
_REPR_NAME: Final = r"'[^']*'|\"[^\"]*\""


def _extract() -> list[pl.Expr]:
    # Only agent spans are read (a handful): taken out, read, put back in place, so the wide
    # input column of every other span is never scanned.
    agent = (pl.col("kind") == "agent").fill_null(False)
    named = pl.col("input").filter(agent).str.extract(_MANAGED_TASK, 1)
    handoff = (pl.col("kind") == "handoff").fill_null(False)
    multiple = handoff & (pl.col("error_message") == _MULTIPLE_HANDOFFS)
    exported = (
        pl.when(multiple)
        .then(pl.col("attributes"))
        .str.json_path_match("$['@error_data'].requested_agents")
        .str.json_decode(pl.List(pl.String))
    )
    # The repr's names (each one's quotes cut off), where the error came as a status description.
    listed = pl.when(handoff).then(pl.col("error_message")).str.extract(_REPR_REQUESTED, 1)
    described = listed.str.extract_all(_REPR_NAME).list.eval(pl.element().str.slice(1, pl.element().str.len_chars() - 2))
    requested = pl.coalesce(exported, described)
    return [
        named.gather(pl.when(agent).then(agent.cast(pl.UInt32).cum_sum() - 1)).alias("_cv_delegate_name"),
        requested.alias("_cv_requested_agents"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    # The agents asked for beyond the one the SDK handed off to (the first): dropped.
    dropped = pl.col("_cv_requested_agents").list.set_difference(pl.concat_list(pl.col("handoff_to").fill_null("")))
    # The handoff to the first requested agent happened (to_agent is set after on_invoke_handoff
    # returned): the span's error records the dropped requests, not a failed handoff.
    taken = pl.col("_cv_requested_agents").is_not_null() & pl.col("handoff_to").is_not_null()
    return df.with_columns(
        pl.col("_cv_delegate_name").alias("delegate_name"),
        # smolagents writes no handoff span: the manager's call of a team member (a tool call named
        # after it, ToolCallingAgent.execute_tool_call; a call in a CodeAgent's code) runs
        # MultiStepAgent.__call__, whose own run span (OpenInference _RunWrapper, nested in the
        # manager's step) is the only trace of the delegation. That span is the handoff, to the
        # name the manager gave it, so the rules that read handoffs (handoff_target) see it; it is
        # the delegate's own run, so the work under it is the target at work.
        pl.coalesce("handoff_target", "_cv_delegate_name").alias("handoff_target"),
        pl.when(pl.col("_cv_requested_agents").is_not_null()).then(dropped).alias("handoffs_dropped"),
        (pl.col("failed") & ~taken).alias("failed"),
    )


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
                "delegate_name (the delegation rules compare coalesce(delegate_name, agent)); handoff_target = that name "
                "(smolagents writes no handoff span: the managed agent's run span is the handoff)",
            ),
            Signal(
                'handoff span error "Multiple handoffs requested" with data.requested_agents (OpenInference: the status '
                "description \"Multiple handoffs requested: {'requested_agents': [...]}\", Python's repr)",
                "OpenAI Agents SDK (Python and JS)",
                "src/agents/_run_impl.py (execute_handoffs: only run_handoffs[0] runs, the rest answered "
                '"Multiple handoffs detected, ignoring this one."); packages/agents-core/src/runImplementation.ts; '
                "openinference-instrumentation-openai-agents _processor.py (_get_span_status)",
                "handoffs_dropped (the requested agents the SDK did not hand off to: dangling_handoff judges whether they ever worked)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "delegate_name": "the name a manager gave the delegated agent run (smolagents managed agent), else null",
            "handoffs_dropped": "agents a handoff span says were requested in the same turn but not handed to (OpenAI Agents SDK multiple handoffs), a list; null elsewhere",
        },
    )
)
