"""A revocation is a change: two runs that each revoke the same key did it twice.

Strands (strands-agents/sdk-python ``src/strands/telemetry/tracer.py``): each agent invocation is a
trace rooted at ``invoke_agent <name>`` with the agent's ``trace_attributes`` (``session.id``) on its
spans, each tool an ``execute_tool <name>`` span under it. A nightly key-hygiene job fires on two
replicas nine seconds apart (no leader lock) in one session: both list the same stale key, both
revoke it, both tell the owning team. ``revoke_key`` was no side effect by name (policy
tools.side_effecting), so the repeat was found only at the later notice, not at the revocation that
came first (OAuth 2.0 Token Revocation, RFC 7009: the revoked token is invalidated, a change).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from span_builder import detectors, findings, run_row, span, spans

from forensics.classify import classify

ASK = json.dumps([{"text": "Nightly job: revoke any API key unused for 90+ days and notify the owning team."}])
SESSION = "cron:key-hygiene:2026-12-02"


def _run(rid: str, start: float, key: str) -> list[dict[str, Any]]:
    attrs = json.dumps({"session.id": SESSION, "gen_ai.operation.name": "invoke_agent"})
    common = {"agent": "key_hygiene", "session_id": SESSION, "run_id": rid}

    def tool(n: str, at: float, name: str, args: dict[str, str], out: dict[str, Any]) -> dict[str, Any]:
        return span(f"{rid}-{n}", start + at, start + at + 0.5, parent_id=f"{rid}-root", kind="tool", tool=name,
                    name=f"execute_tool {name}", input=json.dumps(args), output=json.dumps(out), **common)  # fmt: skip

    return [
        span(f"{rid}-root", start, start + 14, kind="agent", name="invoke_agent key_hygiene", input=ASK,
             output=f"Revoked {key} and notified #team-payments.", attributes=attrs, **common),  # fmt: skip
        span(f"{rid}-chat", start + 0.1, start + 1.5, kind="llm", parent_id=f"{rid}-root", name="chat", **common),
        tool("list", 2, "list_stale_keys", {"unused_days": "90"}, {"keys": [key]}),
        tool("revoke", 6, "revoke_key", {"key_id": key, "reason": "unused > 90 days"}, {"revoked": True}),
        tool("notify", 11, "notify_team", {"channel": "#team-payments", "text": f"Revoked stale key {key}."}, {"ok": True}),
    ]


def _classify(*runs: list[dict[str, Any]]) -> Any:
    return classify(pa.concat_tables([spans(*r, run_id=r[0]["run_id"]) for r in runs]))


def test_the_second_run_revoking_the_same_key_is_the_duplicate() -> None:
    c = _classify(_run("r1", 0, "ak_live_9f2c"), _run("r2", 9, "ak_live_9f2c"))
    hits = findings(c, "duplicate_side_effect")
    assert {(f["run_id"], f["decisive_span_id"]) for f in hits} == {("r2", "r2-revoke"), ("r2", "r2-notify")}
    # The run's decisive span is the revocation done again, before the notice.
    assert run_row(c, "r2")["decisive_span_id"] == "r2-revoke"


def test_near_miss_two_runs_revoking_different_keys() -> None:
    c = _classify(_run("r1", 0, "ak_live_9f2c"), _run("r2", 9, "ak_live_41bd"))
    assert "duplicate_side_effect" not in detectors(c)
