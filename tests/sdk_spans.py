"""OpenTelemetry SDK spans as ``ReadableSpan.to_json()`` writes them, one per line (the console and
file exporters; opentelemetry-python ``opentelemetry-sdk/src/opentelemetry/sdk/trace/__init__.py``
``ReadableSpan.to_json``): ``context`` with hex ids, ``parent_id``, ISO times, ``status_code``."""

from __future__ import annotations

from typing import Any


def sdk_span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0, *, trace: str = "cd" * 16,
             service: str = "app", start: int = 10, step: int = 1, day: str = "2025-11-20T00:00") -> dict[str, Any]:  # fmt: skip
    """Span ``i`` (id ``i + 1``) under span ``parent`` (None: a root), starting ``start + step * i``
    seconds into the minute ``day`` and lasting a second, status unset."""
    at = start + step * i
    return {
        "name": name, "context": {"trace_id": "0x" + trace, "span_id": f"0x{i + 1:016x}", "trace_state": "[]"},
        "kind": "SpanKind.INTERNAL", "parent_id": None if parent is None else f"0x{parent + 1:016x}",
        "start_time": f"{day}:{at:02d}.000000Z", "end_time": f"{day}:{at + 1:02d}.000000Z",
        "status": {"status_code": "UNSET"}, "attributes": attributes, "events": [], "links": [],
        "resource": {"attributes": {"service.name": service}, "schema_url": ""},
    }
