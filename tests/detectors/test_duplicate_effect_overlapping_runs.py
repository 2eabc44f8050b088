"""Two scheduled runs of a session at work at once: the effect done second is the duplicate.

OpenAI Agents SDK (openai/openai-agents-python ``src/agents/tracing/traces.py`` ``TraceImpl.export``:
``id``, ``workflow_name``, ``group_id``, ``metadata``; ``src/agents/tracing/spans.py``
``SpanImpl.export``): a dunning worker runs the agent every 15 minutes for an account, one trace
per run, the account as the trace's ``group_id`` (the session). The SDK's agent span records no
input: the run's instructions are the agent's own, nobody asked. The 02:00 run stalls on a slow ERP
query past 02:15, the 02:15 run sends the invoice's final notice, then the slow run sends the very
same notice. The duplicate is the slow run's send, though that run started first; the fast run did
its job once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

GROUP = "ar-dunning:acct-CX-30817"


def _at(seconds: float) -> str:
    m, s = divmod(seconds, 60)
    return f"2026-11-26T02:{int(m):02d}:{s:06.3f}+00:00"


def _span(trace: str, sid: str, parent: str | None, start: float, end: float, data: dict[str, Any]) -> dict[str, Any]:
    return {"object": "trace.span", "id": f"span_{trace[-6:]}{sid:0>18}", "trace_id": trace,
            "parent_id": None if parent is None else f"span_{trace[-6:]}{parent:0>18}",
            "started_at": _at(start), "ended_at": _at(end), "span_data": data, "error": None}  # fmt: skip


def _run(trace: str, start: float, send_at: float, invoice: str = "INV-2291") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    args = json.dumps({"to": "ap@cascadiaorganics.com", "template": "final_notice", "invoice": invoice})
    fn = {"type": "function", "name": "send_email", "input": args, "output": json.dumps({"status": "sent"}), "mcp_data": None}
    read = {"type": "function", "name": "erp_open_invoices", "input": '{"account": "CX-30817"}',
            "output": json.dumps({"invoices": [{"number": invoice, "stage": "final_notice"}]}), "mcp_data": None}  # fmt: skip
    spans = [
        _span(trace, "a1", None, start, send_at + 4, {"type": "agent", "name": "Collections", "handoffs": [],
                                                       "tools": ["erp_open_invoices", "send_email"], "output_type": "str"}),
        _span(trace, "f1", "a1", start + 1, start + 2, read),
        _span(trace, "f2", "a1", send_at, send_at + 2, fn),
    ]  # fmt: skip
    head = {"object": "trace", "id": trace, "workflow_name": "AR dunning run", "group_id": GROUP, "metadata": None}
    return head, spans


def _findings(tmp_path: Path, *runs: tuple[dict[str, Any], list[dict[str, Any]]]) -> pl.DataFrame:
    path = tmp_path / "dunning.json"
    path.write_text(json.dumps({"traces": [h for h, _ in runs], "spans": [s for _, ss in runs for s in ss]}))
    found = pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))
    return found.filter(pl.col("detector") == "duplicate_side_effect")


def test_the_slow_runs_later_send_is_the_duplicate(tmp_path: Path) -> None:
    slow = "trace_215ae7523a987afb0ab0d3f72d90d877"
    fast = "trace_803fed22a942cdd8dbae1e54f6e3e99f"
    # The 02:00 run sends at 02:16:40; the 02:15 run started while it was at work and sent at 02:15:07.
    found = _findings(tmp_path, _run(slow, 0, 16 * 60 + 40), _run(fast, 15 * 60, 15 * 60 + 7))
    assert found.select("run_id", "decisive_span_id").rows() == [(slow, f"span_{slow[-6:]}{'f2':0>18}")]


def test_near_miss_the_next_run_after_the_previous_one_ended(tmp_path: Path) -> None:
    # The 02:00 run ended at 02:04; the 02:15 run sent the notice again on its own reading.
    found = _findings(tmp_path, _run("trace_" + "a" * 32, 0, 200), _run("trace_" + "b" * 32, 15 * 60, 15 * 60 + 7))
    assert found.height == 0


def test_near_miss_runs_at_once_about_other_invoices(tmp_path: Path) -> None:
    found = _findings(tmp_path, _run("trace_" + "a" * 32, 0, 16 * 60 + 40),
                      _run("trace_" + "b" * 32, 15 * 60, 15 * 60 + 7, invoice="INV-2304"))  # fmt: skip
    assert found.height == 0
