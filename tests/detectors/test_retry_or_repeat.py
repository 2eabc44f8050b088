"""A retry or a repeat: who sent the failing call again (forensics/detectors/decisions.py).

A retry is the runtime or a wrapper sending the same request again, no model call in between: a
storm of those is retry_storm's. A repeat is the agent's model choosing the same call again after
it saw the same failure: Claude Code writes every ``tool_use`` in the assistant message that issued
it, LangGraph's ToolNode ("tools") runs the tool_calls of the "agent" node's model response. Those
are repeated_action's (the agent learns nothing), not a retry storm.
"""

from __future__ import annotations

import json
from pathlib import Path

from span_builder import detectors, one, run, span

import forensics

CMD = "python -m pytest tests/test_auth.py::test_login -q"
FAILED = "Exit code 1\nF\nE   assert 401 == 200\n1 failed in 0.41s"


def _claude_code(tmp_path: Path, times: int) -> Path:
    """A Claude Code transcript: each rerun of the same failing Bash command is the tool_use of an
    assistant message of its own (the model's narration and the call, stamped alike), its
    tool_result 1.5 s later with is_error, the next message 4 s after that."""
    lines: list[dict] = []
    t = 0.0
    parent = None

    def stamp(seconds: float) -> str:
        return f"2025-09-18T11:{37 + int(seconds) // 60:02d}:{int(seconds) % 60:02d}.{int(seconds * 1000) % 1000:03d}Z"

    def add(kind: str, message: dict, at: float) -> None:
        nonlocal parent
        uid = f"u{len(lines)}"
        lines.append({"type": kind, "uuid": uid, "parentUuid": parent, "sessionId": "s-1", "timestamp": stamp(at),
                      "cwd": "/work/app", "message": message})
        parent = uid

    add("user", {"role": "user", "content": "Make test_login pass."}, t)
    for i in range(times):
        t += 4.0
        tid = f"toolu_{i:02d}"
        add("assistant", {"role": "assistant", "model": "claude-sonnet-4-20250514", "content": [
            {"type": "text", "text": "Let me run it again." if i else "Let me reproduce."},
            {"type": "tool_use", "id": tid, "name": "Bash", "input": {"command": CMD}}]}, t)
        t += 1.5
        add("user", {"role": "user", "content": [
            {"tool_use_id": tid, "type": "tool_result", "content": FAILED, "is_error": True}]}, t)
    t += 4.0
    add("assistant", {"role": "assistant", "model": "claude-sonnet-4-20250514", "content": [
        {"type": "text", "text": "The test still fails with 401; I could not fix it."}]}, t)
    path = tmp_path / "rerun.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def _found(path: Path) -> list[str]:
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_the_model_rerunning_the_same_failing_command_is_a_repeat_not_a_retry_storm(tmp_path: Path) -> None:
    found = _found(_claude_code(tmp_path, 4))
    assert "repeated_action" in found
    assert "retry_storm" not in found


def test_the_model_running_it_twice_is_neither(tmp_path: Path) -> None:
    # Near miss: one rerun to confirm is neither a loop (3+) nor a storm.
    found = _found(_claude_code(tmp_path, 2))
    assert "repeated_action" not in found and "retry_storm" not in found


ROOT = {"kind": "agent", "name": "researcher"}


def _fetch(sid: str, start: float, agent: str | None = None) -> dict:
    return span(sid, start, start + 0.3, parent_id="root", kind="tool", tool="fetch_url", agent=agent,
                input='{"url": "https://api.example.com/releases"}', status="error", error_type="429")


def test_a_wrapper_resending_with_no_model_call_between_is_a_retry_storm() -> None:
    # One model call asks for the fetch; the wrapper resends it four times 0.5 s apart.
    c = run(
        span("root", 0, 10, **ROOT, output="I could not fetch the releases: 429 on every attempt."),
        span("m1", 0.1, 0.9, parent_id="root", kind="llm", model="gpt-4o"),
        *[_fetch(f"f{i}", 1 + 0.8 * i) for i in range(5)],
        span("m2", 6, 7, parent_id="root", kind="llm", model="gpt-4o"),
    )
    assert one(c, "retry_storm")["decisive_span_id"] == "f0"
    assert "repeated_action" not in detectors(c)


def test_a_tool_node_running_each_new_model_response_is_a_repeat() -> None:
    # LangGraph's create_react_agent: the "agent" node's model answers with the same tool call each
    # time, the "tools" node (which calls no model itself) runs it and it fails the same way.
    rows = [span("root", 0, 20, **ROOT, status="error", error_type="GraphRecursionError")]
    for i in range(4):
        rows.append(span(f"m{i}", 1 + 3 * i, 2.5 + 3 * i, parent_id="root", kind="llm", model="gpt-4o", agent="agent"))
        rows.append(_fetch(f"f{i}", 2.6 + 3 * i, agent="tools"))
    c = run(*rows)
    assert "retry_storm" not in detectors(c)
    assert "repeated_action" in detectors(c)


def _numbered(key: str) -> list[dict]:
    """One model call asks for the fetch; a wrapper sends it five times 0.5 s apart, recording its
    attempt number (tenacity's RetryCallState.attempt_number) under ``key`` among the arguments."""
    rows = [span("root", 0, 10, **ROOT, output="I could not fetch the releases: 429 on every attempt."),
            span("m1", 0.1, 0.9, parent_id="root", kind="llm", model="gpt-4o")]
    for i in range(5):
        rows.append(span(f"f{i}", 1 + 0.8 * i, 1.3 + 0.8 * i, parent_id="root", kind="tool", tool="fetch_url",
                         input=json.dumps({"url": "https://api.example.com/releases", key: i + 1}),
                         status="error", error_type="429"))
    return rows


def test_calls_that_differ_only_in_their_attempt_number_are_one_request_retried() -> None:
    assert one(run(*_numbered("attempt")), "retry_storm")["decisive_span_id"] == "f0"


def test_near_miss_calls_that_differ_in_another_number_are_other_requests() -> None:
    assert "retry_storm" not in detectors(run(*_numbered("page")))
