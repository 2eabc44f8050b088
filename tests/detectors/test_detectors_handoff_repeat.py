"""repeated_handoff (context_collapse): an agent hands the task to the same agent again and again.

The runs are OpenAI Agents SDK trace exports (``{"object": "trace"}`` / ``{"object": "trace.span"}``
lines, ``Span.export()``), as the Runner writes them: each agent stint is a top-level agent span
holding its ``response`` span (and ``function`` spans for tool calls); a hand-off (the model calling
``transfer_to_<agent>``, ``src/agents/handoffs.py``) is a ``handoff`` span (``from_agent``,
``to_agent``; ``src/agents/_run_impl.py`` execute_handoffs) under the sender's agent span; past
``max_turns`` the next agent span carries ``SpanError("Max turns exceeded")`` (``src/agents/run.py``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from span_builder import findings, span, spans

from forensics.classify import classify
from forensics.load import load

BILLING, METER, TRIAGE = "Billing Agent", "Meter Services Agent", "Triage Agent"
T0 = datetime(2026, 11, 24, 9, 14, tzinfo=UTC)


def _trace(path: Path, hops: list[str], max_turns: int | None = None, tool_each_turn: bool = False) -> list[str]:
    """Write a run in which ``hops`` hold the task in turn (a model turn, then a hand-off to the next
    agent; with ``tool_each_turn`` a lookup_meter function call first). Returns the hand-off ids."""
    tid = "trace_" + "7c" * 16
    recs: list[dict[str, Any]] = [{"object": "trace", "id": tid, "workflow_name": "Support", "group_id": None, "metadata": None}]
    handoffs: list[str] = []
    clock, n = 0.0, 0

    def sid() -> str:
        nonlocal n
        n += 1
        return f"span_{n:024x}"

    def rec(span_id: str, parent: str | None, start: float, end: float, data: dict[str, Any], error: Any = None) -> dict[str, Any]:
        iso = lambda s: (T0 + timedelta(seconds=s)).isoformat()  # noqa: E731
        return {"object": "trace.span", "id": span_id, "trace_id": tid, "parent_id": parent, "started_at": iso(start),
                "ended_at": iso(end), "span_data": data, "error": error}

    for i, agent in enumerate(hops):
        a, start = sid(), clock
        data = {"type": "agent", "name": agent, "handoffs": sorted(set(hops) - {agent}), "tools": ["lookup_meter"], "output_type": "str"}
        if max_turns is not None and i >= max_turns:
            recs.append(rec(a, None, start, start + 0.01, data, {"message": "Max turns exceeded", "data": {"max_turns": max_turns}}))
            break
        kids = []
        if tool_each_turn:
            kids.append(rec(sid(), a, clock, clock + 0.5, {"type": "function", "name": "lookup_meter",
                                                           "input": json.dumps({"account": "A-1"}), "output": json.dumps({"swap": f"step {i}"})}))
            clock += 0.6
        kids.append(rec(sid(), a, clock, clock + 1.5, {"type": "response", "response_id": f"resp_{n:040x}"}))
        clock += 1.6
        if i < len(hops) - 1:
            h = sid()
            kids.append(rec(h, a, clock, clock + 0.01, {"type": "handoff", "from_agent": agent, "to_agent": hops[i + 1]}))
            handoffs.append(h)
            clock += 0.02
        recs += [*kids, rec(a, None, start, clock, data)]
        clock += 0.05
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return handoffs


def _classified(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    c = classify(load(path).spans)
    return pl.from_arrow(c.findings), pl.from_arrow(c.runs)


def test_a_task_bounced_until_the_turn_limit_is_both_a_repeat_and_a_missing_way_out(tmp_path: Path) -> None:
    hops = [TRIAGE] + [BILLING, METER] * 5
    ids = _trace(tmp_path / "bounce.jsonl", hops, max_turns=10)
    found, runs = _classified(tmp_path / "bounce.jsonl")
    rep = found.filter(pl.col("detector") == "repeated_handoff")
    assert rep.height == 1
    # The first hand-back (Meter Services handing it back to Billing) is where the loop began.
    assert rep.row(0, named=True)["decisive_span_id"] == ids[2]
    assert "Billing Agent handed the task to Meter Services Agent 5 times" in rep.row(0, named=True)["explanation"]
    assert set(runs.row(0, named=True)["classes"]) == {"context_collapse", "missing_fallback"}


def test_three_identical_hand_offs_with_nothing_new_fire_without_a_limit(tmp_path: Path) -> None:
    ids = _trace(tmp_path / "three.jsonl", [BILLING, METER, BILLING, METER, BILLING, METER])
    rep = _classified(tmp_path / "three.jsonl")[0].filter(pl.col("detector") == "repeated_handoff")
    assert rep.height == 1
    assert rep.row(0, named=True)["evidence_span_ids"] == [ids[0], ids[2], ids[4]]


def test_two_identical_hand_offs_are_below_the_repeat_count(tmp_path: Path) -> None:
    _trace(tmp_path / "two.jsonl", [BILLING, METER, BILLING, METER])
    assert _classified(tmp_path / "two.jsonl")[0].filter(pl.col("detector") == "repeated_handoff").height == 0


def test_hand_offs_with_tool_work_in_between_bring_new_information(tmp_path: Path) -> None:
    _trace(tmp_path / "work.jsonl", [BILLING, METER] * 4, tool_each_turn=True)
    assert _classified(tmp_path / "work.jsonl")[0].filter(pl.col("detector") == "repeated_handoff").height == 0


@pytest.mark.parametrize("new_instruction", [True, False])
def test_an_orchestrator_sending_new_instructions_is_not_repeating_itself(new_instruction: bool) -> None:
    # Magentic-One style: each hand-off carries its instruction; a new one each time is a new request,
    # the same one each time (and nothing done in between) is the repeat.
    rows = [span("root", 0, 30, kind="agent", name="Orchestrator", agent="Orchestrator")]
    for i in range(4):
        text = f"Please open result {i} and read the table." if new_instruction else "Please read the table."
        rows.append(span(f"h{i}", 1 + 5 * i, parent_id="root", kind="handoff", agent="Orchestrator",
                         handoff_to="WebSurfer", output=text))
        rows.append(span(f"w{i}", 2 + 5 * i, parent_id="root", kind="agent", agent="WebSurfer", name="WebSurfer",
                         output="I could not find a table."))
    found = findings(classify(spans(*rows)), "repeated_handoff")
    assert len(found) == (0 if new_instruction else 1)
