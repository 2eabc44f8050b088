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
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import RARE_ATTRIBUTES, Convention, Q, Signal, register

#: A definition's name then its description, quotes escaped or not (a definition kept as a JSON
#: string inside the attributes): the description up to its first quote or escape.
_NAME_DESCRIPTION: Final = (
    rf"{Q}name{Q}\s*:\s*{Q}([A-Za-z_][A-Za-z0-9_.:-]*){Q}\s*,\s*{Q}description{Q}\s*:\s*{Q}([^\"\\]{{3,400}})"
)


def _extract() -> list[pl.Expr]:
    held = pl.any_horizontal(pl.col(RARE_ATTRIBUTES).str.contains(w, literal=True) for w in ("tools", "functions"))
    described = pl.when(held & pl.col("attributes").str.contains("description", literal=True).fill_null(False))
    return [described.then(pl.col("attributes")).str.extract_all(_NAME_DESCRIPTION).alias("_cv_tool_defs")]


def _runs(df: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    described = (
        df.lazy()
        .select("run_key", pl.col("_cv_tool_defs").alias("_d"))
        .explode("_d")
        .drop_nulls("_d")
        .select(
            "run_key",
            pl.struct(
                pl.col("_d").str.extract(_NAME_DESCRIPTION, 1).alias("name"),
                pl.col("_d").str.extract(_NAME_DESCRIPTION, 2).alias("description"),
            ).alias("tool_descriptions"),
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
        ),
        extract=_extract,
        runs=_runs,
        run_columns={
            "tool_descriptions": "each tool definition handed to the run's model: its name and description (null when none was recorded)",
        },
    )
)
