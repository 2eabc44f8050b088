"""A JSON-lines record that states its outcome ended; a request to a human ended with its answer.

An in-house JSON-lines app log (structlog style: ``ts``, ``event``, ``kind``, ``status``,
``duration_ms``; the shape of ``/work/shared/formats/jsonl_app_logs/``) writes one line per
record. A guardrail check is logged once, with its result and status, and no duration; a human's
decision likewise, as a child line of the request it answers (``parent_span_id``). The jsonl
loader (``forensics/loaders/jsonl.py``) keeps a line with no end and no duration open unless it
is a plain event, since a line written when work started says nothing of its end. A line that
already states how its work came out was written once the work was done: it never "never
ended". A tracer's span is another matter: exported before it ended it may carry any status,
and its missing end is the fact. Those, and a request to a human nobody answered, still make
premature_success.
"""

from __future__ import annotations

import json
from pathlib import Path

from forensics.classify import classify
from forensics.load import load


def _line(ts: str, span_id: str, event: str, **kw: object) -> str:
    parent = None if span_id == "root" else "root"
    return json.dumps({"ts": f"2026-02-27T15:{ts}Z", "level": "INFO", "service": "payables", "run_id": "run-1",
                       "span_id": span_id, "parent_span_id": kw.pop("parent", parent), "event": event,
                       "agent": "payables-runner", **kw})


def _log(tmp_path: Path, *middle: str) -> set[str]:
    lines = [
        _line("44:09.203", "root", "run.start", task="Pay vendor invoice INV-1 NOK 1,284,500"),
        _line("44:10.303", "l1", "llm.call", kind="llm", model="gpt-4.1", duration_ms=1840, input_tokens=3120,
              output_tokens=212),
        *middle,
        _line("51:07.503", "t2", "tool.call", kind="tool", tool="bank.create_transfer",
              args={"invoice_id": "INV-1"}, duration_ms=2210, status="ok", result={"payment_id": "pmt_1"}),
        _line("51:10.403", "end", "run.end", status="ok", final_output="INV-1 paid (pmt_1), approved by i.solberg."),
    ]
    f = tmp_path / "run.jsonl"
    f.write_text("\n".join(lines) + "\n")
    c = classify(load([f]))
    return {r["detector"] for r in c.findings.to_pylist()}


_CHECK = _line("44:12.703", "g1", "policy.check", kind="guardrail", rule="payments.requires_approval",
               result="approval_required", status="ok")
_ASK = _line("44:12.903", "h1", "approval.requested", kind="human", approvers=["treasury@"], timeout_s=900)
_GRANT = _line("51:05.603", "h2", "approval.granted", kind="human", parent="h1", decision="approved",
               decided_by="i.solberg", status="ok")


def test_near_miss_a_guardrail_line_and_an_answered_approval_request(tmp_path: Path) -> None:
    assert "premature_success" not in _log(tmp_path, _CHECK, _ASK, _GRANT)


def test_a_request_to_a_human_nobody_answered_never_ended(tmp_path: Path) -> None:
    assert "premature_success" in _log(tmp_path, _CHECK, _ASK)


def test_a_tool_line_with_no_outcome_and_no_end_never_ended(tmp_path: Path) -> None:
    started = _line("44:13.100", "t1", "tool.call", kind="tool", tool="erp.export", args={"all": True})
    assert "premature_success" in _log(tmp_path, _CHECK, started)


def test_a_tracer_span_exported_open_fires_whatever_its_status() -> None:
    """A tracer's span exported before it ended (an OpenInference TOOL span with ``end_time``
    null and ``status_code`` OK in a Phoenix export): its missing end is the fact."""
    from span_builder import detectors, run, span

    c = run(
        span("root", 0, 10, kind="agent", name="data_export", output="Export complete."),
        span("u1", 4, None, parent_id="root", kind="tool", tool="s3.upload", status="ok", source_format="openinference"),
    )
    assert "premature_success" in detectors(c)
