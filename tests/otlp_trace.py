"""OTLP/JSON trace documents for tests: spans as an OpenTelemetry SDK exports them
(opentelemetry-proto ``trace/v1/trace.proto`` in its JSON mapping: ``traceId``, ``spanId``,
``parentSpanId``, times in nanoseconds as strings, attributes as ``{"key", "value"}`` pairs), one
scope, loaded and classified the way a user's file is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

#: 2025-11-24T16:00:00Z in nanoseconds: span times are milliseconds after it.
BASE_NS = 1_764_000_000_000_000_000


def attr(key: str, value: Any) -> dict[str, Any]:
    """One attribute: an int as intValue, a string as is, anything else as its JSON text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value if isinstance(value, str) else json.dumps(value)}}


def otlp_span(sid: str, parent: str, name: str, start_ms: int, end_ms: int, attrs: dict[str, Any], *,
              trace: str = "ab" * 16, kind: int = 1) -> dict[str, Any]:  # fmt: skip
    """One span with status unset (code 0)."""
    return {"traceId": trace, "spanId": sid, "parentSpanId": parent, "name": name, "kind": kind,
            "startTimeUnixNano": str(BASE_NS + start_ms * 1_000_000), "endTimeUnixNano": str(BASE_NS + end_ms * 1_000_000),
            "attributes": [attr(k, v) for k, v in attrs.items()], "status": {"code": 0}}  # fmt: skip


def classify_otlp(spans: list[dict[str, Any]], path: Path, *, scope: str = "agent_framework",
                  service: str | None = None) -> pl.DataFrame:  # fmt: skip
    """The findings of ``spans`` written as one OTLP/JSON request to ``path`` under ``scope``."""
    resource = [attr("service.name", service)] if service else []
    doc = {"resourceSpans": [{"resource": {"attributes": resource},
                              "scopeSpans": [{"scope": {"name": scope, "version": "1.0.0"}, "spans": spans}]}]}  # fmt: skip
    path.write_text(json.dumps(doc))
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))
