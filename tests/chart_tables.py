"""Small inline tables in the toolkit's schemas, for the chart and widget tests.

Each helper fills the columns a test does not care about with neutral defaults, so a test states
only the facts it asserts on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from forensics.schema import FINDING_SCHEMA, RUN_SCHEMA, SPAN_SCHEMA

T0 = datetime(2026, 11, 20, 2, 13, 0, tzinfo=UTC)
POLICY = "default 1.0 (sha256:abc123)"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def span(run_id: str, span_id: str, start: float | None, end: float | None, **cols: Any) -> dict[str, Any]:
    row: dict[str, Any] = {f.name: None for f in SPAN_SCHEMA}
    row.update(
        run_id=run_id, span_id=span_id, name=cols.pop("name", span_id), kind=cols.pop("kind", "tool"),
        status=cols.pop("status", "ok"), source_format="test", source_file="inline.jsonl", source_line=1,
        start_time=None if start is None else at(start), end_time=None if end is None else at(end),
    )  # fmt: skip
    row.update(cols)
    return row


def spans_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SPAN_SCHEMA)


def finding(run_id: str, failure_class: str, detector: str, evidence: list[str], explanation: str, **cols: Any) -> dict[str, Any]:
    row: dict[str, Any] = {f.name: None for f in FINDING_SCHEMA}
    row.update(
        run_id=run_id, failure_class=failure_class, detector=detector, severity=cols.pop("severity", "high"),
        evidence_span_ids=evidence, decisive_span_id=cols.pop("decisive_span_id", evidence[0] if evidence else None),
        explanation=explanation, policy_version=cols.pop("policy_version", POLICY), strength=cols.pop("strength", "strong"),
    )  # fmt: skip
    row.update(cols)
    return row


def findings_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=FINDING_SCHEMA)


def run(run_id: str, start: float, end: float | None, agents: list[str], classes: list[str], **cols: Any) -> dict[str, Any]:
    row: dict[str, Any] = {f.name: None for f in RUN_SCHEMA}
    row.update(
        run_id=run_id, start_time=at(start), end_time=None if end is None else at(end),
        duration_ms=None if end is None else (end - start) * 1000, agents=agents, span_count=cols.pop("span_count", 3),
        error_count=cols.pop("error_count", 0), reported_outcome=cols.pop("reported_outcome", "success"),
        classes=classes, primary_class=classes[0] if classes else None, ok=not classes, policy_version=POLICY,
        strength=None if not classes else "strong", declared_outcome="unknown", unexplained_failure=False,
    )  # fmt: skip
    row.update(cols)
    return row


def runs_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=RUN_SCHEMA)


def incident() -> tuple[pa.Table, pa.Table]:
    """A five-agent-step incident: planner hands off to billing (picked up) and to shipping (never
    started); billing's refund tool fails; the run goes quiet 10 minutes and never ends."""
    r = "run-1"
    spans = [
        span(r, "a1", 0, 700, kind="agent", agent="planner", name="planner"),
        span(r, "l1", 1, 3, kind="llm", agent="planner", name="chat gpt-x", model="gpt-x"),
        span(r, "h1", 4, 4, kind="handoff", agent="planner", name="transfer_to_billing", handoff_to="billing"),
        span(r, "b1", 5, 30, kind="agent", agent="billing", name="billing"),
        span(r, "t1", 6, 8, kind="tool", agent="billing", tool="refund", name="refund",
             status="error", error_type="HTTP 503", error_message="service unavailable"),  # fmt: skip
        span(r, "h2", 31, 31, kind="handoff", agent="planner", name="transfer_to_shipping", handoff_to="shipping"),
        span(r, "t2", 650, None, kind="tool", agent="planner", tool="notify", name="notify"),
    ]
    findings = [
        finding(r, "missing_fallback", "unhandled_error", ["t1"], "tool refund failed with HTTP 503 at 02:13:06; nothing retried it"),
        finding(r, "ownership_gap", "dangling_handoff", ["h2"], "planner handed off to shipping at 02:13:31; shipping never started"),
    ]
    return spans_table(spans), findings_table(findings)
