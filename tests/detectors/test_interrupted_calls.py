"""An OpenAI Agents SDK run resumed from RunState after a person approved its interrupted call.

A ``function_tool(needs_approval=True)`` is not executed when the model asks for it: the run ends
with the call in ``RunResult.interruptions``; the application calls ``state.approve(item)`` and
resumes with ``Runner.run(agent, state)``, which executes the approved call first, with no model
call of its own before it (docs/human_in_the_loop.md, src/agents/_run_impl.py). The traces below
are the SDK's exported trace and span objects (one JSON object a line), written for this test: the
interrupted run and the resumed one share the ``group_id``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from forensics.classify import classify
from forensics.load import load

GROUP = "janitor_2025-11-04"


def _span(sid: str, trace: str, parent: str | None, t0: str, t1: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"object": "trace.span", "id": sid, "trace_id": trace, "parent_id": parent,
            "started_at": f"2025-11-04T{t0}+00:00", "ended_at": f"2025-11-04T{t1}+00:00",
            "span_data": data, "error": None}


def _gen(sid: str, trace: str, parent: str, t0: str, t1: str, said: str, calls: list[dict[str, str]] | None = None,
         text: str | None = None) -> dict[str, Any]:
    out = {"role": "assistant", "content": text}
    if calls:
        out["tool_calls"] = [{"id": f"call_{i}{sid[-4:]}", "type": "function",
                              "function": {"name": c["name"], "arguments": c["args"]}} for i, c in enumerate(calls)]
    return _span(sid, trace, parent, t0, t1, {"type": "generation", "input": [{"role": "user", "content": said}],
                                               "output": [out], "model": "gpt-4.1-mini"})


def _fn(sid: str, trace: str, parent: str, t0: str, t1: str, args: str, out: str) -> dict[str, Any]:
    return _span(sid, trace, parent, t0, t1, {"type": "function", "name": "delete_branch", "input": args, "output": out})


def _agent(sid: str, trace: str, t0: str, t1: str) -> dict[str, Any]:
    return _span(sid, trace, None, t0, t1, {"type": "agent", "name": "Repo janitor", "handoffs": [],
                                            "tools": ["delete_branch"], "output_type": "str"})


ARGS = '{"repo": "acme/web", "branch": "spike/old"}'
T1, T2 = "trace_" + "1" * 32, "trace_" + "2" * 32


def _paused(asked: str) -> list[dict[str, Any]]:
    """The first run: the model asks for delete_branch(asked) and the run stops there (interrupted)."""
    return [
        {"object": "trace", "id": T1, "workflow_name": "Repo janitor", "group_id": GROUP, "metadata": None},
        _gen("span_" + "a" * 24, T1, "span_" + "r" * 24, "09:20:00.1", "09:20:01.0",
             "Delete the stale branch spike/old in acme/web.", [{"name": "delete_branch", "args": asked}]),
        _agent("span_" + "r" * 24, T1, "09:20:00.0", "09:20:01.1"),
    ]


def _resumed(first_is_model: bool) -> list[dict[str, Any]]:
    """Six minutes later: the next run executes delete_branch(ARGS), then reports."""
    rows: list[dict[str, Any]] = [{"object": "trace", "id": T2, "workflow_name": "Repo janitor", "group_id": GROUP,
                                   "metadata": None}]
    t = "09:26:41.0"
    if first_is_model:  # the resumed run's own model asks for the call again before it runs
        rows.append(_gen("span_" + "m" * 24, T2, "span_" + "s" * 24, "09:26:40.5", "09:26:40.9",
                         "continue", [{"name": "delete_branch", "args": ARGS}]))
    rows += [
        _fn("span_" + "b" * 24, T2, "span_" + "s" * 24, t, "09:26:41.5", ARGS, "deleted refs/heads/spike/old"),
        _gen("span_" + "c" * 24, T2, "span_" + "s" * 24, "09:26:42.0", "09:26:43.0", "deleted refs/heads/spike/old",
             text="Deleted spike/old."),
        _agent("span_" + "s" * 24, T2, "09:26:40.0", "09:26:43.5"),
    ]
    return rows


def _unguarded(tmp_path: Path, rows: list[dict[str, Any]]) -> list[str]:
    path = tmp_path / "janitor.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    findings, _ = classify(load([path]).spans).to_polars()
    return findings.filter(pl.col("detector") == "unguarded_irreversible").get_column("run_id").to_list()


def test_the_call_the_paused_run_left_pending_ran_after_approval(tmp_path: Path) -> None:
    # The arguments the model wrote (with spaces) and the ones the function span shows are the same call.
    assert _unguarded(tmp_path, _paused(ARGS) + _resumed(first_is_model=False)) == []


def test_a_call_the_resumed_run_s_own_model_asked_for_is_no_resumed_approval(tmp_path: Path) -> None:
    # The second run's model decided the delete itself: nothing approved it.
    assert _unguarded(tmp_path, _paused(ARGS) + _resumed(first_is_model=True)) == [T2]


def test_a_call_other_than_the_one_left_pending_is_not_approved(tmp_path: Path) -> None:
    # The paused run asked to delete another branch; the one deleted was never put to anyone.
    other = '{"repo": "acme/web", "branch": "main"}'
    assert _unguarded(tmp_path, _paused(other) + _resumed(first_is_model=False)) == [T2]


def test_without_an_earlier_run_the_call_is_unguarded(tmp_path: Path) -> None:
    assert _unguarded(tmp_path, _resumed(first_is_model=False)) == [T2]
