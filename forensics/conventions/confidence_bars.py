"""The confidence bar a run's own configuration states, in a span's attributes.

A matcher or classifier configured with its bar records it where its instrumentation records the
step's configuration: the Langfuse v2 SDK's ``@observe()`` keeps the call's keyword arguments as the
observation's input and ``langfuse_context.update_current_observation(metadata=...)`` /
``update_current_trace(metadata=...)`` as metadata (langfuse/langfuse-python
langfuse/decorators/langfuse_decorator.py ``_get_input_from_func_args``, ``update_current_observation``;
the export keeps metadata beside the observation, our loader's attributes); an OpenTelemetry
application sets it as a span attribute. ``stated_bar`` is the number under a key that names a
confidence or match bar (``confidence_threshold``, ``match_threshold``, ``min_confidence``,
``review_threshold`` ...); ``ungated_low_confidence`` reads it as the run's own gate before the
policy's default (``detectors.confidence_gates``). A bare ``threshold`` is not read from attributes:
a retriever's ``score_threshold`` or an alerting threshold is no confidence bar.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, published, register, where_contains

#: A key naming a bar for a confidence or a match, and its number (quotes may be escaped, or a
#: Python repr's single quotes).
BAR_KEY: Final = r"(?:confidence_threshold|match_threshold|merge_threshold|review_threshold|min_confidence|minimum_confidence|required_confidence|confidence_cutoff|confidence_gate|min_match_confidence)"
STATED_BAR: Final = rf"""(?i)\\?["']{BAR_KEY}\\?["']\s*:\s*\\?["']?([0-9]*\.?[0-9]+)"""


def _extract() -> list[pl.Expr]:
    return [
        where_contains("attributes", ("hreshold", "onfidence")).str.extract(STATED_BAR, 1).cast(pl.Float64, strict=False).alias(
            "_cv_stated_bar"
        )
    ]


register(
    Convention(
        name="confidence_bars",
        signals=(
            Signal(
                "a confidence or match bar in a span's configuration (confidence_threshold, match_threshold, "
                "min_confidence, review_threshold ... in its metadata or attributes)",
                "Langfuse v2 SDK (observation / trace metadata); any OpenTelemetry application attribute",
                "langfuse/langfuse-python langfuse/decorators/langfuse_decorator.py (_get_input_from_func_args, "
                "update_current_observation(metadata=...), update_current_trace(metadata=...))",
                "stated_bar (the run's own gate for ungated_low_confidence, before the policy's confidence_gate)",
            ),
        ),
        extract=_extract,
        status=published("_cv_stated_bar", "stated_bar"),
        columns={"stated_bar": "a confidence or match bar the span's own configuration states (0-1 or out of 100)"},
    )
)
