"""stall on an OpenTelemetry export whose spans point to a parent that was never exported.

The OpenTelemetry SDK hands a span to its exporter only when the span ends (SpanProcessor.on_end;
BatchSpanProcessor queues ended spans), so an agent span that never ended is missing from the
export while its finished children, a model call and a tool call, still name it as their parent:
the run hung there.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

OTLP = {"source_format": "otlp-json"}


def _oncall(with_root: bool, fmt: dict[str, str] = OTLP) -> list[dict[str, object]]:
    rows = [
        span("m1", 1, 2.5, parent_id="root", kind="llm", model="claude-3-5-haiku", output='{"tool": "fetch_runbook"}', **fmt),
        span("t1", 2.6, 32.6, parent_id="root", kind="tool", tool="fetch_runbook", input='{"alert": "replica-lag"}',
             status="error", error_type="requests.exceptions.ReadTimeout", **fmt),
    ]
    if with_root:
        rows.insert(0, span("root", 0, 40, kind="agent", name="invoke_agent oncall", status="error",
                            error_type="requests.exceptions.ReadTimeout", **fmt))
    return rows


def test_children_of_an_unexported_parent_show_a_run_that_never_ended() -> None:
    f = one(run(*_oncall(with_root=False)), "stall")
    assert f["decisive_span_id"] == "t1"
    assert "never exported" in f["explanation"]


def test_near_miss_the_parent_was_exported() -> None:
    assert "stall" not in detectors(run(*_oncall(with_root=True)))
