"""handoff_ping_pong (missing_fallback): two agents bounce one task until the turn limit ends the run.

The runs are OpenAI Agents SDK trace exports (``{"object": "trace"}`` / ``{"object": "trace.span"}``
lines, ``Span.export()``), shaped as the Runner writes them: each agent turn is an agent span at the
trace's top level holding its ``response`` span; a hand-off finishes the agent span after a
``handoff`` span (``from_agent``, ``to_agent``; ``src/agents/_run_impl.py`` execute_handoffs) and the
target's agent span starts; past ``max_turns`` the Runner opens the next agent span, attaches
``SpanError(message="Max turns exceeded", data={"max_turns": N})`` to it and raises
``MaxTurnsExceeded`` (``src/agents/run.py``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.classify import classify
from forensics.load import load

TRIAGE, BILLING, HUMAN = "Triage Agent", "Billing Agent", "Human Support Agent"
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def agents_trace(path: Path, hops: list[str], max_turns: int, tools_per_turn: int = 0) -> dict[str, list[str]]:
    """Write one run in which ``hops`` hold the task in turn (one model turn each, then a hand-off to
    the next); a turn past ``max_turns`` ends it with the Runner's error. Returns the span ids by
    role: ``handoff``, ``agent``, ``limit``."""
    tid = "trace_" + "5e" * 16
    recs: list[dict[str, Any]] = [
        {"object": "trace", "id": tid, "workflow_name": "Support", "group_id": None, "metadata": None}
    ]
    ids: dict[str, list[str]] = {"handoff": [], "agent": [], "limit": []}
    clock, n, turn = 0.0, 0, 0

    def sid() -> str:
        nonlocal n
        n += 1
        return f"span_{n:024x}"

    def iso(s: float) -> str:
        return (T0 + timedelta(seconds=s)).isoformat()

    def rec(span: str, parent: str | None, start: float, end: float, data: dict[str, Any], error: Any = None):
        return {"object": "trace.span", "id": span, "trace_id": tid, "parent_id": parent,
                "started_at": iso(start), "ended_at": iso(end), "span_data": data, "error": error}

    for i, agent in enumerate(hops):
        a, start = sid(), clock
        others = sorted({h for h in hops if h != agent})
        data = {"type": "agent", "name": agent, "handoffs": others, "tools": ["lookup_invoice"], "output_type": "str"}
        ids["agent"].append(a)
        kids: list[dict[str, Any]] = []
        for _ in range(1 + tools_per_turn):
            turn += 1
            if turn > max_turns:
                recs.append(rec(a, None, start, clock + 0.01, data, {"message": "Max turns exceeded", "data": {"max_turns": max_turns}}))
                ids["limit"].append(a)
                path.write_text("".join(json.dumps(r) + "\n" for r in recs))
                return ids
            usage = {"requests": 1, "input_tokens": 900 + 50 * turn, "output_tokens": 40, "total_tokens": 940 + 50 * turn}
            kids.append(rec(sid(), a, clock + 0.01, clock + 2, {"type": "response", "response_id": f"resp_{n:040x}", "usage": usage}))
            clock += 2.01
            if _ < tools_per_turn:
                kids.append(rec(sid(), a, clock, clock + 0.5, {"type": "function", "name": "lookup_invoice",
                                                                "input": '{"invoice": "INV-0042"}', "output": '{"status": "disputed"}'}))
                clock += 0.51
        if i < len(hops) - 1:
            h = sid()
            kids.append(rec(h, a, clock, clock + 0.01, {"type": "handoff", "from_agent": agent, "to_agent": hops[i + 1]}))
            ids["handoff"].append(h)
            clock += 0.02
        recs += [*kids, rec(a, None, start, clock, data)]
        clock += 0.05
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return ids


def findings(path: Path) -> pl.DataFrame:
    found, _ = classify(load(path).spans).to_polars()
    return found


def test_two_agents_bouncing_the_task_until_max_turns_is_a_missing_way_out(tmp_path: Path) -> None:
    path = tmp_path / "ping_pong.jsonl"
    ids = agents_trace(path, [TRIAGE, BILLING] * 4, max_turns=6)
    f = findings(path)
    # The turn limit that ended it is not a separate budget_exceeded; the identical hand-offs with
    # nothing new between them are also repeated_handoff (context_collapse): by TAXONOMY both hold.
    assert sorted(f.get_column("detector").to_list()) == ["handoff_ping_pong", "repeated_handoff"]
    assert f.filter(pl.col("detector") == "repeated_handoff").item(0, "decisive_span_id") == ids["handoff"][1]
    row = f.filter(pl.col("detector") == "handoff_ping_pong").row(0, named=True)
    assert row["failure_class"] == "missing_fallback"
    # Decisive: the first hand-back (Billing -> Triage), where the task started bouncing.
    assert row["decisive_span_id"] == ids["handoff"][1]
    assert row["evidence_span_ids"] == [*ids["handoff"], *ids["limit"]]
    assert "Triage Agent and Billing Agent handed the task back and forth 6 times" in row["explanation"]


def test_near_miss_a_hand_back_that_then_finishes(tmp_path: Path) -> None:
    # A -> B -> A, and A answers within the limit: an ordinary consult, nothing fires.
    path = tmp_path / "hand_back.jsonl"
    agents_trace(path, [TRIAGE, BILLING, TRIAGE], max_turns=10)
    assert findings(path).height == 0


def test_near_miss_max_turns_without_handoffs_stays_a_step_limit(tmp_path: Path) -> None:
    # One agent that used up its turns on tools: budget_exceeded's limit stop, no ping-pong.
    path = tmp_path / "one_agent.jsonl"
    ids = agents_trace(path, [BILLING], max_turns=5, tools_per_turn=8)
    f = findings(path)
    assert "handoff_ping_pong" not in f.get_column("detector").to_list()
    limit = f.filter(pl.col("detector") == "budget_exceeded")
    assert limit.get_column("decisive_span_id").to_list() == ids["limit"]


def test_near_miss_one_hand_back_then_the_agent_works_until_the_limit(tmp_path: Path) -> None:
    # A -> B -> A, then A spends its turns on tools: two hand-offs are a consult, not a bounce.
    # The turns went to the same lookup, again and again: that loop (repeated_action) is what used
    # them up, so the limit stop is not reported again (budget_exceeded stands down, limit_stops.py).
    path = tmp_path / "back_then_stuck.jsonl"
    agents_trace(path, [TRIAGE, BILLING, TRIAGE], max_turns=6, tools_per_turn=5)
    detectors = findings(path).get_column("detector").to_list()
    assert "handoff_ping_pong" not in detectors and "repeated_action" in detectors
    assert "budget_exceeded" not in detectors


def test_near_miss_the_task_moved_on_to_a_third_agent(tmp_path: Path) -> None:
    # The pair bounced it, then handed it to a human-support agent, who ran out of turns: the task
    # found a way out of the loop, so the loop is not why the run ended.
    path = tmp_path / "moved_on.jsonl"
    agents_trace(path, [TRIAGE, BILLING, TRIAGE, BILLING, HUMAN], max_turns=5, tools_per_turn=3)
    assert "handoff_ping_pong" not in findings(path).get_column("detector").to_list()
