"""A pipeline component named by the pipeline, and the components that route.

Haystack opens every component's run as ``haystack.component.run``, the same name for a prompt
builder, a router and a component that pays a claim; what the component is, is in its tags:
``haystack.component.name`` (the name the pipeline gave it, ``pipeline.add_component("payout_writer",
...)``) and ``haystack.component.type`` (its class) (deepset-ai/haystack
haystack/core/pipeline/pipeline.py ``_run_component``: ``tracing.tracer.trace("haystack.component.run",
tags={...})``; haystack/tracing/opentelemetry.py writes each tag as an attribute). A custom component
that writes to the world (a payout, a merge, a notification) is the pipeline's action as a tool is an
agent's: ``component`` carries its name so the policy's tool vocabulary can read it.

Haystack's routers are its ``*Router`` components (haystack/components/routers/: ``ConditionalRouter``,
whose ``run`` returns ``{route["output_name"]: output}`` for the first route whose Jinja condition held,
conditional_router.py; ``MetadataRouter``, ``FileTypeRouter``, ``TransformersTextRouter`` ...): a
pipeline's branch is fixed by their output, so the component downstream of the branch they chose runs
with no further decision (``routes``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, json_scalar, register

#: The span Haystack opens around one component's run.
_COMPONENT_SPAN: Final = "haystack.component.run"


def _extract() -> list[pl.Expr]:
    on_component = pl.col("name") == _COMPONENT_SPAN
    return [
        pl.when(on_component).then(json_scalar("attributes", r"haystack\.component\.name", "haystack.component.name")).alias(
            "_cv_component"
        ),
        pl.when(on_component)
        .then(json_scalar("attributes", r"haystack\.component\.type", "haystack.component.type"))
        .alias("_cv_component_type"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        pl.col("_cv_component").alias("component"),
        pl.col("_cv_component_type").str.ends_with("Router").fill_null(False).alias("routes"),
    )


register(
    Convention(
        name="components",
        signals=(
            Signal(
                "haystack.component.run with haystack.component.name (the pipeline's name for the component) and "
                "haystack.component.type (its class; *Router: ConditionalRouter, MetadataRouter, FileTypeRouter ...)",
                "Haystack",
                "deepset-ai/haystack haystack/core/pipeline/pipeline.py (_run_component: tracer.trace("
                "'haystack.component.run', tags)), haystack/tracing/opentelemetry.py (tags as attributes), "
                "haystack/components/routers/conditional_router.py (ConditionalRouter.run: the first route whose "
                "condition held)",
                "component (the component's name: a custom component's action read by the policy's tool vocabulary); "
                "routes (a router component: the branch it chose runs with no further decision)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "component": "a pipeline component's own name (Haystack haystack.component.name), null elsewhere",
            "routes": "a router component (Haystack *Router): the pipeline's branch is fixed by its output",
        },
    )
)
