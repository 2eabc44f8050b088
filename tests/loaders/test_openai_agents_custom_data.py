"""openai-agents: an app's custom span keeps what the app recorded as its output.

``custom_span(name, data)`` exports ``{"type": "custom", "name": ..., "data": {...}}``
(openai-agents-python src/agents/tracing/span_data.py, CustomSpanData.export). The SDK exports no
final output of a run in its traces (a response span carries only its response_id), so what an
app records there (the message it sent the customer, the run's final output) is the only text of
the run's report. "Good news - your refund ... has been processed" recorded by a notify_customer
span after a resumed run that never ran refund_order is a claim no call backs. The SDK's own
task/turn spans, exported as custom with ``sdk_span_type``, stay as they were (no output), and a
custom span with no data has none.
"""

from __future__ import annotations

import json
from pathlib import Path

from span_builder import detectors

import forensics
from forensics.classify import classify

TRACE = "trace_0123456789abcdef0123456789abcdef"


def _span(n: int, start: str, end: str, data: dict, parent: str | None = None) -> str:
    return json.dumps({"object": "trace.span", "id": f"span_aaaaaaaaaaaaaaaaaaaaaa{n:02d}", "trace_id": TRACE,
                       "parent_id": parent, "started_at": f"2025-09-16T20:{start}+00:00",
                       "ended_at": f"2025-09-16T20:{end}+00:00", "span_data": data, "error": None})  # fmt: skip


def _trace(tmp_path: Path, *extra: str) -> Path:
    lines = [
        json.dumps({"object": "trace", "id": TRACE, "workflow_name": "Refund desk", "group_id": None, "metadata": None}),
        _span(1, "04:51.000000", "04:54.000000", {"type": "agent", "name": "Refunds Agent", "tools": ["get_order", "refund_order"]}),
        _span(2, "04:52.000000", "04:53.000000", {"type": "function", "name": "get_order", "input": "{\"order_id\": \"5521-KX\"}",
                                                  "output": "{\"total\": 84.2}"}, "span_aaaaaaaaaaaaaaaaaaaaaa01"),
        _span(3, "06:28.000000", "06:28.500000", {"type": "custom", "name": "task", "data": {"sdk_span_type": "task", "name": "Agent workflow"}}),
        _span(4, "06:28.600000", "06:28.700000", {"type": "custom", "name": "checkpoint", "data": {}}),
        *extra,
    ]  # fmt: skip
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


NOTIFY = {"type": "custom", "name": "notify_customer", "data": {"channel": "zendesk", "body":
          "Good news - your refund of 84.20 EUR for order 5521-KX has been processed."}}  # fmt: skip


def test_a_custom_span_keeps_its_data_as_its_output(tmp_path: Path) -> None:
    result = forensics.load(_trace(tmp_path, _span(5, "06:29.000000", "06:29.300000", NOTIFY)))
    df = result.to_polars()
    out = df.filter(df["name"] == "notify_customer")["output"].item()
    assert json.loads(out) == NOTIFY["data"]
    assert "claimed_but_not_done" in detectors(classify(df))


def test_near_miss_sdk_task_spans_and_empty_data_have_no_output(tmp_path: Path) -> None:
    result = forensics.load(_trace(tmp_path))
    df = result.to_polars()
    assert df.filter(df["name"].is_in(["Agent workflow", "task", "checkpoint"]))["output"].to_list() == [None, None]
    assert "claimed_but_not_done" not in detectors(classify(df))
