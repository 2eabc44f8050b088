"""An empty answer from an endpoint its server marked deprecated, read as "none found". Read by
``silent_failure.error_as_data`` beside the empty lookups (:mod:`forensics.detectors.empty_lookups`).

A server tells its clients a resource is deprecated in the response's own headers: ``Deprecation``
(RFC 9745: "@" and the Unix time it was or will be deprecated) and ``Sunset``, when it stops
answering (RFC 8594), often with ``Link: <...>; rel="successor-version"`` naming the replacement.
A deprecated endpoint that still answers 200 but no longer holds the data answers an empty list: the
emptiness is the endpoint's, not the data's. A tool that hands the HTTP reply back with its headers
(``{"status": 200, "headers": {"Deprecation": ...}, "body": {"data": []}}``) puts both in the run.

Flagged where nothing in the run got past it and the answer takes the emptiness as the finding: the
result holds a Deprecation or Sunset header and an empty list, and no non-empty one; no later call
of the same tool succeeded (a query of the successor); the run reported success, and its answer
names neither the deprecation nor the sunset nor the successor.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import QP as _QP
from forensics.detectors.base import Context

#: A Deprecation (RFC 9745) or Sunset (RFC 8594) response header kept in a tool's result.
DEPRECATED_HEADER: Final = rf"(?i){_QP}(?:deprecation|sunset){_QP}\s*:\s*(?:{_QP}|true\b|\d)"
#: An empty list in the result, and a list holding something.
_EMPTY_LIST: Final = r":\s*\[\s*\]"
_FILLED_LIST: Final = r":\s*\[\s*[^\s\]]"
#: An answer naming the deprecation, the sunset or the replacement.
_TOLD: Final = r"(?i)\bdeprecat\w*|\bsunset\w*|\bsuccessor\b|\bretired\b|\bend[- ]of[- ]life\b"


def deprecated_empty(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, call, output, kind``: results of a deprecated endpoint that came
    back empty, not got past in the run, under an answer that does not tell it (module docstring)."""
    s = ctx.spans.lazy()
    out = pl.col("output")
    runs = ctx.runs.lazy().filter(
        (pl.col("reported_outcome") == "success") & ~pl.col("final_output").str.contains(_TOLD).fill_null(True)
    )
    hits = (
        s.filter(
            (pl.col("kind") == "tool")
            & pl.col("succeeded")
            & out.str.contains(DEPRECATED_HEADER).fill_null(False)
            & out.str.contains(_EMPTY_LIST).fill_null(False)
            & ~out.str.contains(_FILLED_LIST).fill_null(True)
        )
        .join(runs.select("run_id"), on="run_id", how="semi")
        .select("run_id", "span_id", "seq", "t", "call", "output", "kind")
    )
    later = (
        s.filter((pl.col("kind") == "tool") & pl.col("succeeded"))
        .select("run_id", "call", pl.col("seq").alias("_l_seq"))
        .group_by("run_id", "call")
        .agg(pl.col("_l_seq").max())
    )
    return (
        hits.join(later, on=["run_id", "call"], how="left")
        .filter(pl.col("_l_seq").is_null() | (pl.col("_l_seq") <= pl.col("seq")))
        .drop("_l_seq")
    )
