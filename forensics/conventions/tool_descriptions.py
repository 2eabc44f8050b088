"""Tool descriptions: what each tool handed to a run's model says it does, kept for the claim that
names a tool's act in its description's words (detectors/claim_described.py).

A tool definition carries a name and a description: OpenAI Chat Completions ``tools``
({"type": "function", "function": {"name": ..., "description": ..., "parameters": ...}}), which
smolagents builds for a ToolCallingAgent's model call from each Tool's ``name`` and ``description``
(src/smolagents/tools.py Tool; src/smolagents/models.py get_tool_json_schema) and the OpenInference
smolagents instrumentation records on the model span as ``llm.tools.<i>.tool.json_schema``, a JSON
string (openinference-instrumentation-smolagents _wrappers.py _llm_tools). Read before the raw
attributes are dropped, in the spans whose attributes name tool definitions (the rare-needle column
outcome.py reads ``declared_tools`` from).

A smolagents manager's team members are described the same way: each managed agent has a ``name``
and a ``description`` the manager's prompt lists ("You can also give tasks to team members ...
{{ agent.name }}: {{ agent.description }}", src/smolagents/prompts/code_agent.yaml), and the
OpenInference instrumentation flattens them onto the manager's run span as
``smolagents.managed_agents.<i>.name`` then ``.description`` (_wrappers.py
_smolagent_run_attributes). They are kept alongside (claim_delegates reads the work a team
member that never ran was described to do).

A tool span may carry its tool's description itself: the OpenTelemetry GenAI conventions'
``gen_ai.tool.description`` on an ``execute_tool`` span, which Google ADK sets from the live tool
(adk-python src/google/adk/telemetry/tracing.py ``trace_tool_call``:
``span.set_attribute('gen_ai.tool.description', tool.description)``, the function's docstring for
a FunctionTool), or OpenInference's ``tool.description``
(spec/semantic_conventions.md), which the OpenAI Agents SDK instrumentation writes on each function
span from the live ``FunctionTool`` (openinference-instrumentation-openai-agents _tool_schemas.py:
``FunctionSpanData`` has only name, input and output, so it reads the tool runs' ``description``).
An agent used as a tool is such a ``FunctionTool``, described by ``as_tool(tool_name,
tool_description)`` (openai-agents-python src/agents/agent.py); the SDK's own trace export has no
description anywhere (src/agents/tracing/span_data.py: AgentSpanData's tools are names,
ResponseSpanData.export() only the response id), so only an OpenInference export tells it.
"""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.conventions.registry import RARE_ATTRIBUTES, Convention, Q, Signal, register

#: A definition's name then its description, quotes escaped or not (a definition kept as a JSON
#: string inside the attributes): the description up to its first quote or escape.
_NAME_DESCRIPTION: Final = (
    rf"{Q}name{Q}\s*:\s*{Q}([A-Za-z_][A-Za-z0-9_.:-]*){Q}\s*,\s*{Q}description{Q}\s*:\s*{Q}([^\"\\]{{3,400}})"
)

#: A tool span's own description (OpenInference tool.description, GenAI gen_ai.tool.description):
#: its name is the span's tool.
_SPAN_DESCRIPTION: Final = rf"{Q}(?:gen_ai\.)?tool\.description{Q}\s*:\s*{Q}([^\"\\]{{3,400}})"

#: A description saying the tool delivers a message: it opens (as a docstring's summary line does,
#: "POSTs a deployment notice to the team's webhook", "Sends a refund reminder to the customer") with
#: a delivery verb whose object is a message, the noun that heads the phrase (a notice, a
#: notification, an announcement ...) after at most three words that say what it is about. What the
#: message is about (a deployment, a refund) is not done by sending it.
_DELIVERS_A_MESSAGE: Final = (
    r"(?i)^\s*(?:posts?|sends?|notif(?:y|ies)|announces?|publishes|emails?|messages?|pings?|broadcasts?)\s+"
    r"(?:(?:a|an|the|its|their|your|one)\s+)?(?:[\w'-]+\s+){0,3}?"
    r"(?:notices?|notifications?|messages?|announcements?|alerts?|reminders?|summar(?:y|ies)|digests?)\b"
)

#: A managed agent's name then its description on the manager's run span, as flattened there.
_MANAGED_DESCRIPTION: Final = (
    rf"{Q}smolagents\.managed_agents\.\d+\.name{Q}\s*:\s*{Q}([A-Za-z_][A-Za-z0-9_.-]*){Q}\s*,\s*"
    rf"{Q}smolagents\.managed_agents\.\d+\.description{Q}\s*:\s*{Q}([^\"\\]{{3,400}})"
)


def _extract() -> list[pl.Expr]:
    held = pl.any_horizontal(
        pl.col(RARE_ATTRIBUTES).str.contains(w, literal=True) for w in ("tools", "functions")
    )
    described = pl.when(
        held & pl.col("attributes").str.contains("description", literal=True).fill_null(False)
    )
    managed = pl.when(
        pl.col(RARE_ATTRIBUTES).str.contains("smolagents.managed_agents.", literal=True).fill_null(False)
    )
    own = pl.when((pl.col("kind") == "tool") & pl.col("attributes").str.contains("tool.description", literal=True))
    return [
        own.then(pl.col("attributes").str.extract(_SPAN_DESCRIPTION, 1)).alias("_cv_tool_span_description"),
        described.then(pl.col("attributes")).str.extract_all(_NAME_DESCRIPTION).alias("_cv_tool_defs"),
        managed.then(pl.col(RARE_ATTRIBUTES)).str.extract_all(_MANAGED_DESCRIPTION).alias("_cv_managed_defs"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("_cv_tool_span_description").alias("tool_description"))


def only_notifies(df: pl.DataFrame, irreversible: str) -> pl.Expr:
    """The tool calls whose own recorded description says they deliver a message
    (:data:`_DELIVERS_A_MESSAGE`) and whose name's verb is not itself an irreversible act
    (``irreversible``: the policy's pattern): ``post_deploy_webhook``, "POSTs a deployment notice to
    the team's incoming webhook", posts a notice about a deploy; it deploys nothing. The name alone
    cannot tell (a deploy hook is also POSTed to); ``deploy_and_notify``'s verb deploys whatever its
    description says."""
    from forensics.detectors.claim_vocabulary import tool_verb_object

    said = (
        df.filter(pl.col("tool_description").str.contains(_DELIVERS_A_MESSAGE).fill_null(False))
        .get_column("step_name")
        .drop_nulls()
        .unique()
        .to_list()
    )
    # One reading per distinct tool name (a few), not per row.
    names = [n for n in said if (p := tool_verb_object(str(n))) is not None and not re.search(irreversible, p[0])]
    return pl.col("step_name").is_in(names) & pl.col("tool_description").str.contains(_DELIVERS_A_MESSAGE).fill_null(False)


def _pairs(df: pl.DataFrame, column: str, pattern: str) -> pl.LazyFrame:
    """``run_key, tool_descriptions``: the (name, description) pairs ``pattern`` found in ``column``."""
    return (
        df.lazy()
        .select("run_key", pl.col(column).alias("_d"))
        .explode("_d")
        .drop_nulls("_d")
        .select(
            "run_key",
            pl.struct(
                pl.col("_d").str.extract(pattern, 1).alias("name"),
                pl.col("_d").str.extract(pattern, 2).alias("description"),
            ).alias("tool_descriptions"),
        )
    )


def _runs(df: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    described = (
        pl.concat(
            [
                _pairs(df, "_cv_tool_defs", _NAME_DESCRIPTION),
                _pairs(df, "_cv_managed_defs", _MANAGED_DESCRIPTION),
                df.lazy()
                .filter(pl.col("_cv_tool_span_description").is_not_null() & pl.col("tool").is_not_null())
                .select(
                    "run_key",
                    pl.struct(pl.col("tool").alias("name"), pl.col("_cv_tool_span_description").alias("description"))
                    .alias("tool_descriptions"),
                ),
            ]
        )
        .unique(maintain_order=True)
        .group_by("run_key")
        .agg(pl.col("tool_descriptions").sort_by(pl.col("tool_descriptions").struct.field("name")))
    )
    return runs.lazy().join(described, on="run_key", how="left").collect()


register(
    Convention(
        name="tool_descriptions",
        signals=(
            Signal(
                'a tool definition\'s name and description: Chat Completions tools [{"function": {"name", "description"}}], OpenInference llm.tools.<i>.tool.json_schema',
                "OpenAI Chat Completions, smolagents ToolCallingAgent (OpenInference)",
                "src/smolagents/models.py (get_tool_json_schema from Tool.name / Tool.description); openinference-instrumentation-smolagents _wrappers.py (_llm_tools)",
                "runs.tool_descriptions",
            ),
            Signal(
                "a smolagents manager's team members: smolagents.managed_agents.<i>.name and .description on its run span",
                "smolagents (OpenInference)",
                "src/smolagents/prompts/code_agent.yaml (team members listed with name and description); "
                "openinference-instrumentation-smolagents _wrappers.py (_smolagent_run_attributes)",
                "runs.tool_descriptions (the managed agent's name and description)",
            ),
            Signal(
                "a tool span's own tool.description (an OpenAI Agents SDK function tool, an agent used as a tool "
                "with as_tool(tool_name, tool_description))",
                "OpenAI Agents SDK (OpenInference); any OpenInference TOOL span",
                "openinference-instrumentation-openai-agents _tool_schemas.py (the FunctionTool's description on its "
                "function span); openai-agents-python src/agents/agent.py (as_tool); src/agents/tracing/span_data.py "
                "(the SDK's own export: no description)",
                "runs.tool_descriptions (the span's tool and its description)",
            ),
            Signal(
                "an execute_tool span's own gen_ai.tool.description (OpenTelemetry GenAI conventions), a tool span's "
                "tool.description (OpenInference); one opening with a delivery verb whose object is a message "
                "(\"POSTs a deployment notice to the team's incoming webhook\"), on a tool whose name's verb is no "
                "irreversible act, delivers a message about the act and does not do it",
                "Google ADK; any GenAI execute_tool or OpenInference TOOL span",
                "adk-python src/google/adk/telemetry/tracing.py (trace_tool_call: gen_ai.tool.description = "
                "tool.description, a FunctionTool's docstring); OpenTelemetry GenAI semantic conventions (execute_tool span)",
                "tool_description; is_irreversible cleared for a tool that only notifies (only_notifies)",
            ),
        ),
        extract=_extract,
        status=_status,
        runs=_runs,
        columns={
            "tool_description": "the tool span's own recorded description of its tool (GenAI gen_ai.tool.description, "
            "OpenInference tool.description); null when none was recorded",
        },
        run_columns={
            "tool_descriptions": "each tool definition handed to the run's model, and each managed agent of a smolagents "
            "manager: its name and description (null when none was recorded)",
        },
    )
)
