"""OTLP/JSON ``ExportTraceServiceRequest`` (resourceSpans/scopeSpans/spans, hex ids, ns-epoch decimal
strings, typed attribute values, GenAI semantic-convention keys, exception events).
"""

from __future__ import annotations

from typing import Any, Final

from forensics.synth.model import Run, Span
from forensics.synth.writers.base import WRITERS, Writer, ended_order
from forensics.synth.writers.genai import _RESOURCE_BASE, _exception_attrs, genai_attributes, genai_name


def _any_value(v: Any) -> dict[str, Any]:
    # OTLP/JSON AnyValue: int64 as a decimal string, as protojson writes it.
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [_any_value(x) for x in v]}}
    if isinstance(v, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": _any_value(x)} for k, x in v.items()]}}
    return {"stringValue": str(v)}


def _kv(attrs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _any_value(v)} for k, v in attrs.items() if v is not None]


# OTLP SpanKind: 1 INTERNAL, 2 SERVER, 3 CLIENT. Model calls are CLIENT spans in the GenAI conventions.
_OTLP_KIND: Final = {"llm": 3, "chain": 2}
_OTLP_STATUS: Final = {"ok": 1, "error": 2}
_SCOPE: Final = {"name": "opentelemetry.instrumentation.openai_agents", "version": "0.1.0"}


def _otlp_span(run: Run, s: Span) -> dict[str, Any]:
    d: dict[str, Any] = {"traceId": run.run_id, "spanId": s.span_id}
    if s.parent_id:
        d["parentSpanId"] = s.parent_id
    d["name"] = genai_name(s)
    d["kind"] = _OTLP_KIND.get(s.kind, 1)
    d["startTimeUnixNano"] = str(s.start_ns)
    if s.end_ns is not None:
        d["endTimeUnixNano"] = str(s.end_ns)
    d["attributes"] = _kv(genai_attributes(run, s))
    if s.status == "error":
        d["events"] = [
            {"timeUnixNano": str(s.end_ns or s.start_ns), "name": "exception", "attributes": _kv(_exception_attrs(s))}
        ]
        d["status"] = {"code": 2, "message": s.error_message or ""}
    else:
        code = _OTLP_STATUS.get(s.status)
        d["status"] = {"code": code} if code else {}
    return d


def _otlp_resource_spans(run: Run) -> dict[str, Any]:
    return {
        "resource": {"attributes": _kv({"service.name": run.service, **_RESOURCE_BASE})},
        "scopeSpans": [{"scope": dict(_SCOPE), "spans": [_otlp_span(run, s) for s in ended_order(run)]}],
        "schemaUrl": "https://opentelemetry.io/schemas/1.37.0",
    }


def _otlp_records(run: Run) -> list[dict[str, Any]]:
    return [{"resourceSpans": [_otlp_resource_spans(run)]}]


def _otlp_document(runs: list[Run]) -> Any:
    # One ExportTraceServiceRequest holding every run, as an OTLP/JSON file export does.
    return {"resourceSpans": [_otlp_resource_spans(r) for r in runs]}


WRITERS.register(Writer("otlp-json", "otlp.json", "otlp", _otlp_records, document=_otlp_document))
