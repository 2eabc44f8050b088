"""The OpenTelemetry Python SDK's ``span.to_json()`` one object per line (``0x``-prefixed ids in
``context``, ISO times with a ``Z``, ``SpanKind.INTERNAL``, flat attributes).
"""

from __future__ import annotations

from typing import Any, Final

from forensics.synth.model import Run, Span, iso_us_z
from forensics.synth.writers.base import _DUMPS, WRITERS, Writer, ended_order
from forensics.synth.writers.genai import _RESOURCE_BASE, _exception_attrs, genai_attributes, genai_name

_SDK_KIND: Final = {"llm": "SpanKind.CLIENT", "chain": "SpanKind.SERVER"}


_SDK_OK: Final = {"status_code": "OK"}
_SDK_UNSET: Final = {"status_code": "UNSET"}
_NO_ITEMS: Final[list[Any]] = []
_resource_cache: dict[str, dict[str, Any]] = {}


def _sdk_resource(service: str) -> dict[str, Any]:
    # One shared (never mutated) resource object per service: the generator writes millions.
    res = _resource_cache.get(service)
    if res is None:
        res = {"attributes": {"service.name": service, **_RESOURCE_BASE}, "schema_url": ""}
        _resource_cache[service] = res
    return res


def _sdk_record(run: Run, s: Span) -> dict[str, Any]:
    # The SDK writes "0x"-prefixed hex ids and repr(trace_state) ("[]").
    status: dict[str, Any]
    events: list[dict[str, Any]] = _NO_ITEMS
    if s.status == "error":
        status = {"status_code": "ERROR", "description": s.error_message or ""}
        events = [
            {
                "name": "exception",
                "timestamp": iso_us_z(s.end_ns or s.start_ns),
                "attributes": _exception_attrs(s),
            }
        ]
    else:
        status = _SDK_OK if s.status == "ok" else _SDK_UNSET
    return {
        "name": genai_name(s),
        "context": {"trace_id": "0x" + run.run_id, "span_id": "0x" + s.span_id, "trace_state": "[]"},
        "kind": _SDK_KIND.get(s.kind, "SpanKind.INTERNAL"),
        "parent_id": ("0x" + s.parent_id) if s.parent_id else None,
        "start_time": iso_us_z(s.start_ns),
        "end_time": iso_us_z(s.end_ns) if s.end_ns is not None else None,
        "status": status,
        "attributes": genai_attributes(run, s),
        "events": events,
        "links": _NO_ITEMS,
        "resource": _sdk_resource(run.service),
    }


def _sdk_records(run: Run) -> list[dict[str, Any]]:
    return [_sdk_record(run, s) for s in ended_order(run)]


_SDK_KIND_B: Final = {k: v.encode() for k, v in _SDK_KIND.items()}
_SDK_OK_B: Final = _DUMPS(_SDK_OK)
_SDK_UNSET_B: Final = _DUMPS(_SDK_UNSET)
_tail_cache: dict[str, bytes] = {}


_SDK_LINE: Final = (
    b'{"name":%b,"context":{"trace_id":"0x%b","span_id":"0x%b","trace_state":"[]"},"kind":"%b",'
    b'"parent_id":%b,"start_time":"%b","end_time":%b,"status":%b,"attributes":%b,"events":%b%b'
)
_minute_bytes: dict[int, bytes] = {}


def _iso_b(ns: int) -> bytes:
    # iso_us_z as bytes, with the minute's text cached (spans of a run share a few minutes).
    sec, sub = divmod(ns, 1_000_000_000)
    minute, second = divmod(sec, 60)
    head = _minute_bytes.get(minute)
    if head is None:
        if len(_minute_bytes) > 65_536:
            _minute_bytes.clear()
        head = iso_us_z(minute * 60_000_000_000)[:17].encode()
        _minute_bytes[minute] = head
    return b"%b%02d.%06dZ" % (head, second, sub // 1000)


def _sdk_lines(run: Run) -> bytes:
    """The same bytes as ``orjson.dumps(_sdk_record(...))`` per span, one per line, built from
    pre-encoded fragments: the generator writes millions of these (tests assert the equality)."""
    tail = _tail_cache.get(run.service)
    if tail is None:
        tail = b',"links":[],"resource":' + _DUMPS(_sdk_resource(run.service)) + b"}\n"
        _tail_cache[run.service] = tail
    trace = run.run_id.encode()
    kinds = _SDK_KIND_B
    out: list[bytes] = []
    for s in ended_order(run):
        if s.status == "error":
            status = _DUMPS({"status_code": "ERROR", "description": s.error_message or ""})
            events = _DUMPS(
                [{"name": "exception", "timestamp": iso_us_z(s.end_ns or s.start_ns), "attributes": _exception_attrs(s)}]
            )
        else:
            status = _SDK_OK_B if s.status == "ok" else _SDK_UNSET_B
            events = b"[]"
        out.append(
            _SDK_LINE
            % (
                _DUMPS(genai_name(s)),
                trace,
                s.span_id.encode(),
                kinds.get(s.kind, b"SpanKind.INTERNAL"),
                b'"0x%b"' % s.parent_id.encode() if s.parent_id else b"null",
                _iso_b(s.start_ns),
                b'"%b"' % _iso_b(s.end_ns) if s.end_ns is not None else b"null",
                status,
                _DUMPS(genai_attributes(run, s)),
                events,
                tail,
            )
        )
    return b"".join(out)


WRITERS.register(Writer("otel-sdk-json", "otel.jsonl", "lines", _sdk_records, lines=_sdk_lines))
