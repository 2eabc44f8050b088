"""OpenHands: each step's cost, from the running total its events carry.

``event_to_dict`` (All-Hands-AI/OpenHands openhands/events/serialization/event.py) writes an event's
``llm_metrics`` as ``Metrics.get()`` (openhands/llm/metrics.py): ``{"accumulated_cost": ...,
"accumulated_token_usage": {...}, "costs": [...], ...}``, the agent LLM's totals when the event was
made. ``accumulated_cost`` only grows over a run (``add_cost`` refuses a negative cost), so what one
step cost is the rise of that total since the previous event that carried it, and the run's spans
sum to its last total. Before, ``cost_usd`` was null on every OpenHands span, so no cost rule could
read an OpenHands run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import forensics


def _metrics(total: float) -> dict[str, Any]:
    return {"accumulated_cost": total, "accumulated_token_usage": {"model": "gpt-4o", "prompt_tokens": 0},
            "costs": [], "response_latencies": [], "token_usages": []}


def _run(i: int, command: str, total: float | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": i, "timestamp": f"2026-11-30T07:03:{i:02d}", "source": "agent", "message": f"Running command: {command}",
        "action": "run", "args": {"command": command, "thought": ""},
        "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": f"c{i}", "model_response": {"id": f"r{i}"}},
    }
    if total is not None:
        event["llm_metrics"] = _metrics(total)
    return event


def _observed(i: int, cause: int) -> dict[str, Any]:
    return {"id": i, "timestamp": f"2026-11-30T07:03:{i:02d}", "source": "agent", "cause": cause, "observation": "run",
            "content": "ok", "extras": {"command": "x", "metadata": {"exit_code": 0}, "hidden": False}}


def _load(tmp_path: Path, events: list[dict[str, Any]]) -> pl.DataFrame:
    path = tmp_path / "trajectory.json"
    path.write_text(json.dumps(events))
    return forensics.load(path, format="openhands").to_polars()


def test_each_step_costs_the_rise_of_the_running_total(tmp_path: Path) -> None:
    events = [
        {"id": 0, "timestamp": "2026-11-30T07:03:00", "source": "user", "action": "message",
         "args": {"content": "Fix the failing test."}},
        _run(1, "pytest -x", 0.012), _observed(2, 1),
        _run(3, "sed -i s/a/b/ app.py", 0.031), _observed(4, 3),
        {"id": 5, "timestamp": "2026-11-30T07:03:05", "source": "agent", "action": "finish",
         "args": {"final_thought": "Fixed."}, "llm_metrics": _metrics(0.045)},
    ]
    df = _load(tmp_path, events).filter(pl.col("cost_usd").is_not_null()).sort("start_time")
    assert df["span_id"].to_list() == ["1", "3", "5"]
    assert df["cost_usd"].to_list() == pytest.approx([0.012, 0.019, 0.014])
    assert df["cost_usd"].sum() == pytest.approx(0.045)
    assert json.loads(df["attributes"][0])["llm_metrics"]["accumulated_cost"] == 0.012  # nothing lost


def test_near_miss_no_rise_no_metrics_or_a_reset_is_no_cost(tmp_path: Path) -> None:
    events = [
        _run(1, "ls", 0.02), _observed(2, 1),
        _run(3, "ls -a", 0.02), _observed(4, 3),  # the total did not rise: that step cost nothing new
        _run(5, "pwd", None), _observed(6, 5),  # no metrics at all
        _run(7, "cat a", 0.005), _observed(8, 7),  # a smaller total: another ledger, not money back
    ]
    df = _load(tmp_path, events).sort("start_time")
    costs = dict(zip(df["span_id"].to_list(), df["cost_usd"].to_list(), strict=True))
    assert costs["1"] == pytest.approx(0.02)
    assert [costs[k] for k in ("3", "5", "7")] == [None, None, None]
