"""A failure inside a workflow run: the workflow owns its steps, as an agent owns its calls.

Mastra traces a workflow run as a span of its own type (``mastra.span.type`` ``workflow_run``, as
``@mastra/otel-exporter`` writes it), its steps as ``workflow_step`` spans under it, and what a step
calls (a tool, an HTTP request) under the step. A step's error is the workflow's: the engine records
it as the step's result and the run's (mastra-ai/mastra workflows/inngest/CHANGELOG.md: "Errors
thrown in workflow steps now preserve full error details" in the step result; a workflow's
``options.onError`` "Called only when workflow fails", ``onFinish`` with its status). A failure under a
workflow run therefore has an owner even where no agent span is above it: orphan_failure's
question ("nobody is accountable") is answered. Whether the workflow then handled it, or reported
success over it, is the error rules' story (swallowed_error, unhandled_error).

``in_workflow`` marks the spans strictly inside a workflow run (the run's own span failing is its
own failure, read as before).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.ancestry import spans_below
from forensics.conventions.registry import Convention, Signal, register

#: A Mastra workflow run's span, by the span type its exporter records.
WORKFLOW_RUN: Final = r'"mastra\.span\.type"\s*:\s*"workflow_run"'


def _extract() -> list[pl.Expr]:
    attrs = pl.col("attributes")
    hint = attrs.str.contains("workflow_run", literal=True).fill_null(False)
    return [(hint & attrs.str.contains(WORKFLOW_RUN).fill_null(False)).alias("_cv_workflow_run")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    runs = df.filter(pl.col("_cv_workflow_run")).select("run_key").unique()
    if runs.height == 0:
        return df.with_columns(pl.lit(False).alias("in_workflow"))
    spans = df.join(runs, on="run_key", how="semi")
    owners = spans.filter(pl.col("_cv_workflow_run")).get_column("span_k")
    inside = spans_below(df, spans.select("run_key", "span_k"), owners)
    return df.with_columns(pl.col("span_k").is_in(inside.implode()).alias("in_workflow"))


register(
    Convention(
        name="workflow_owner",
        signals=(
            Signal(
                "a span whose attributes record mastra.span.type workflow_run; the workflow_step spans under it "
                "and what they call",
                "Mastra (@mastra/otel-exporter)",
                "mastra-ai/mastra workflows/inngest/CHANGELOG.md (step errors kept in the step result; workflow "
                "options.onError / onFinish receive the run's failure)",
                "in_workflow (orphan_failure: a failure under a workflow run has an owner)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={"in_workflow": "the span is inside a workflow run (Mastra workflow_run), which owns its failures"},
    )
)
