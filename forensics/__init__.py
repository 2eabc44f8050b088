"""agent-forensics: incident forensics for AI agents that fail in production.

>>> import forensics
>>> result = forensics.load("sample_logs/")          # any format, sniffed
>>> result.spans                                      # one Arrow span table (forensics.schema)
>>> classified = forensics.classify(result.spans)     # findings + runs
"""

from __future__ import annotations

from typing import Any

from .errors import ForensicsError, InputError, InternalError, UnknownFormatError
from .load import LoadReport, LoadResult, load
from .loaders.base import Limits
from .schema import FINDING_SCHEMA, QUARANTINE_SCHEMA, RUN_SCHEMA, SPAN_SCHEMA

__version__ = "0.1.0"

__all__ = [
    "FINDING_SCHEMA",
    "QUARANTINE_SCHEMA",
    "RUN_SCHEMA",
    "SPAN_SCHEMA",
    "ForensicsError",
    "InputError",
    "InternalError",
    "Limits",
    "LoadReport",
    "LoadResult",
    "UnknownFormatError",
    "classify",
    "load",
]


def __getattr__(name: str) -> Any:
    # The classifier imports polars-heavy detector modules; load it on first use.
    if name == "classify":
        from .classify import classify

        return classify
    if name == "evaluate":
        from .evaluate import evaluate

        return evaluate
    raise AttributeError(f"module 'forensics' has no attribute {name!r}")
