"""chat-messages: a tau-bench environment's error answer is the tool call's status.

tau-bench's ``Env.step`` turns a tool's exception into the observation ``f"Error: {e}"`` and an
unknown tool name into ``f"Unknown action {name}"``; its tools return ``"Error: user not found"``
for a failed lookup (sierra-research/tau-bench ``tau_bench/envs/base.py``,
``tau_bench/envs/retail/tools/get_user_details.py``). The tool-calling agent appends that text as
the ``role=tool`` content (``tau_bench/agents/tool_calling_agent.py``). In a results file
(``EnvRunResult``) it is the call's failure, as Claude Code's ``is_error`` is; the same words in a
chat transcript that is not tau-bench's stay data (error-as-data reads them).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

import forensics
from forensics.detectors.base import prepare
from forensics.policy import resolve_policy


def _call(call_id: str, name: str, arguments: dict) -> dict:
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": call_id, "type": "function",
                            "function": {"name": name, "arguments": json.dumps(arguments)}}]}  # fmt: skip


def _traj(result: str) -> list[dict]:
    return [{"role": "system", "content": "You are a retail agent."},
            {"role": "user", "content": "What is on my account? I am yusuf_rossi_9620."},
            _call("call_1", "get_user_details", {"user_id": "yusuf_rossi_9620"}),
            {"role": "tool", "tool_call_id": "call_1", "name": "get_user_details", "content": result},
            {"role": "assistant", "content": "I could not find that account."}]  # fmt: skip


def _tools(path: Path, record: dict) -> dict[str, dict]:
    path.write_text(json.dumps([record]))
    spans = forensics.load(path).spans.to_pylist()
    return {r["span_id"]: r for r in spans if r["kind"] == "tool"}


def test_tau_bench_error_observation_is_a_failed_call(tmp_path: Path) -> None:
    record = {"task_id": 4, "trial": 0, "reward": 0.0, "info": {}, "traj": _traj("Error: user not found")}
    tool = _tools(tmp_path / "results.json", record)["call_1"]
    assert tool["status"] == "error"
    assert tool["error_message"] == "Error: user not found"
    assert tool["output"] == "Error: user not found"
    assert "tau_bench/envs/base.py" in json.loads(tool["attributes"])["@error_from"]


def test_tau_bench_unknown_action_is_a_failed_call(tmp_path: Path) -> None:
    record = {"task_id": 4, "trial": 0, "reward": 0.0, "info": {}, "traj": _traj("Unknown action get_user_details")}
    assert _tools(tmp_path / "results.json", record)["call_1"]["status"] == "error"


def test_near_miss_tau_bench_data_mentioning_an_error_stays_ok(tmp_path: Path) -> None:
    # A result that is data (JSON, or a sentence with "Error" inside) is no environment error.
    result = json.dumps({"user_id": "yusuf_rossi_9620", "note": "Error: duplicate address fixed"})
    record = {"task_id": 4, "trial": 0, "reward": 1.0, "info": {}, "traj": _traj(result)}
    assert _tools(tmp_path / "results.json", record)["call_1"]["status"] == "ok"


def test_near_miss_plain_chat_transcript_keeps_error_text_as_data(tmp_path: Path) -> None:
    # Not a tau-bench result (no task_id/traj/reward): the text stays data for error-as-data.
    record = {"id": "conv-1", "messages": _traj("Error: user not found")}
    tool = _tools(tmp_path / "chat.json", record)["call_1"]
    assert tool["status"] == "ok" and tool["error_message"] is None


def test_tau_bench_error_is_handed_back_to_the_model(tmp_path: Path) -> None:
    # The observation is the call's result the agent reads next: handled, as Claude Code's is_error.
    path = tmp_path / "results.json"
    path.write_text(json.dumps([{"task_id": 4, "trial": 0, "reward": 0.0, "info": {}, "traj": _traj("Error: user not found")}]))
    ctx = prepare(pl.DataFrame(pl.from_arrow(forensics.load(path).spans)), resolve_policy(None))
    tool = ctx.spans.filter(pl.col("span_id") == "call_1").row(0, named=True)
    assert tool["error_type"] == "tau_bench.EnvError"
    assert tool["failed"] and tool["error_handled"]
