"""The same request sent again to a session while its first run was still at work makes the effect twice.

Strands (strands-agents/sdk-python ``src/strands/telemetry/tracer.py``): every agent invocation is a
new trace whose root is ``invoke_agent <name>`` (``start_agent_span``, its input the new messages
of that invocation), with the agent's ``trace_attributes`` (``session.id``) on every span; a tool is
``execute_tool <name>`` under it. A front end whose own timeout fires re-sends the user's request,
and the session's agent runs again with the same request while the first run, which never heard
the client leave, finishes its work: a second ticket. duplicate_side_effect compared runs of a
session only when the earlier run failed; this one succeeded.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
from span_builder import detectors, findings, one, span, spans

from forensics.classify import classify

ASK = json.dumps([{"role": "user", "content": [{"text": "Open a ticket: VPN is down for the Lisbon office"}]}])
ARGS = '{"title": "VPN down - Lisbon office", "priority": "high"}'


def _run(rid: str, start: float, *, ask: str = ASK, args: str | None = ARGS, session: str = "sess-7f3a",
         length: float = 38, answer: str | None = None) -> list[dict[str, Any]]:
    """One invocation of the session's agent; ``args`` None: a turn that called no tool."""
    attrs = json.dumps({"session.id": session, "gen_ai.operation.name": "invoke_agent"})
    tool = [] if args is None else [
        span(f"{rid}-tool", start + length * 0.55, start + length * 0.92, parent_id=f"{rid}-root", kind="tool",
             tool="create_ticket", agent="support_agent", name="execute_tool create_ticket", input=args,
             output=json.dumps({"ticket_id": f"INC-{rid}", "status": "open"}), session_id=session, run_id=rid),
    ]
    return [
        span(f"{rid}-root", start, start + length, kind="agent", agent="support_agent", name="invoke_agent support_agent",
             input=ask, output=answer or f"I opened ticket INC-{rid} for the VPN outage.", session_id=session,
             attributes=attrs, run_id=rid),
        span(f"{rid}-chat", start + 1, start + length * 0.5, parent_id=f"{rid}-root", kind="llm",
             model="us.anthropic.claude-sonnet-4", agent="support_agent", name="chat", session_id=session, run_id=rid),
        *tool,
    ]


def _classify(*runs: list[dict[str, Any]]) -> Any:
    return classify(pa.concat_tables([spans(*r, run_id=r[0]["run_id"]) for r in runs]))


def test_a_request_resent_while_the_first_run_worked_made_a_second_ticket() -> None:
    # The client gave up at 30 s and sent the request again; the first run finished at 38 s.
    c = _classify(_run("r1", 0), _run("r2", 31))
    f = one(c, "duplicate_side_effect")
    assert f["run_id"] == "r2" and f["decisive_span_id"] == "r2-tool"
    assert "same request as run r1" in f["explanation"]


def test_near_misses_asked_anew_other_arguments_or_another_session() -> None:
    # The user asked the same words again ten minutes after the answer: a request of their own.
    assert "duplicate_side_effect" not in detectors(_classify(_run("r1", 0), _run("r2", 638)))
    # A second ticket for another office, asked while the first was being opened: other arguments.
    other_ask = ASK.replace("Lisbon", "Porto")
    assert "duplicate_side_effect" not in detectors(
        _classify(_run("r1", 0), _run("r2", 31, ask=other_ask, args=ARGS.replace("Lisbon", "Porto")))
    )
    # The same request in another user's session.
    assert "duplicate_side_effect" not in detectors(_classify(_run("r1", 0), _run("r2", 31, session="sess-0b21")))


def test_near_miss_the_same_words_after_another_turn_of_the_session() -> None:
    """The user confirmed the ticket ("yes"), asked for the very same ticket once more for the night
    shift's queue, and confirmed again ("yes") 20 s after the first: the same request twice, but a
    turn of the user's own between them, so no client re-sent the first."""
    yes = json.dumps([{"role": "user", "content": [{"text": "yes"}]}])
    again = json.dumps([{"role": "user", "content": [
        {"text": "The night shift tracks its own queue: open the very same ticket once more."}]}])
    c = _classify(
        _run("r1", 0, ask=yes, length=12),
        _run("r2", 13, ask=again, args=None, length=5, answer="Shall I open the same ticket again?"),
        _run("r3", 20, ask=yes, length=12),
    )
    assert "duplicate_side_effect" not in detectors(c)
    # Without the turn between them, the second "yes" within the window is the first sent again.
    resent = _classify(_run("r1", 0, ask=yes, length=12), _run("r3", 20, ask=yes, length=12))
    assert "duplicate_side_effect" in detectors(resent)


def test_near_miss_an_idempotency_key_made_the_resend_one_ticket() -> None:
    keyed = '{"title": "VPN down - Lisbon office", "priority": "high", "idempotency_key": "req-5c1e"}'
    c = _classify(_run("r1", 0, args=keyed), _run("r2", 31, args=keyed))
    assert not findings(c, "duplicate_side_effect")


def test_the_window_is_a_policy_threshold(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from forensics.policy import default_policy_path, load_policy

    assert load_policy().resend_window_s == 30.0
    text = default_policy_path().read_text().replace("resend_window_s = 30.0", "resend_window_s = 900.0")
    (tmp_path / "p.toml").write_text(text)
    pol = load_policy(tmp_path / "p.toml")
    tables = pa.concat_tables([spans(*r, run_id=r[0]["run_id"]) for r in (_run("r1", 0), _run("r2", 638))])
    assert "duplicate_side_effect" in detectors(classify(tables, policy=pol))
