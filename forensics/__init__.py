"""agent-forensics: incident forensics for AI agents that fail in production.

>>> import forensics
>>> result = forensics.load("sample_logs/")          # any format, sniffed
>>> result.spans                                      # one Arrow span table (forensics.schema)
>>> classified = forensics.classify(result.spans)     # findings + runs
"""

from __future__ import annotations

# Functions named like their modules (classify, evaluate, load) are imported eagerly: a lazy import
# would let the submodule (forensics.classify) replace the function on the package after first use.
from .classify import Classification, classify
from .errors import ForensicsError, InputError, InternalError, UnknownFormatError
from .evaluate import evaluate
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
    "Classification",
    "LoadResult",
    "UnknownFormatError",
    "classify",
    "evaluate",
    "load",
]

