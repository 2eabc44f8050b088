"""A Claude Code Task call that failed handed nothing over: the Task tool answers an unknown
``subagent_type`` with an ``is_error`` tool_result ("Agent type '<x>' not found. Available agents:
..."), the model reads it and does the work itself. Inputs are session transcripts in Claude
Code's JSONL shape (one line per message, ``tool_result`` in a user line, ``toolUseResult``)."""

from __future__ import annotations

import json
from pathlib import Path

import forensics

SESSION = "5d0c1a52-3f7e-4d8b-9a61-0c2b7e4f9a10"


def _line(n: int, parent: int | None, kind: str, content: object, **extra: object) -> dict:
    return {"parentUuid": None if parent is None else f"u{parent}", "isSidechain": False, "userType": "external",
            "cwd": "/home/ana/shop-api", "sessionId": SESSION, "version": "1.0.98", "type": kind,
            "message": {"role": kind, "content": content} if kind == "user" else
            {"id": f"msg_{n}", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
             "content": content, "stop_reason": None, "usage": {"input_tokens": 900, "output_tokens": 60}},
            "uuid": f"u{n}", "timestamp": f"2026-12-02T10:00:{n:02d}.000Z", **extra}


def _session(task_result: str, task_failed: bool) -> list[dict]:
    """The user asks for a named sub-agent; the Task call's result is ``task_result``; then the
    model writes the file itself and says what it did."""
    task = {"type": "tool_use", "id": "toolu_task", "name": "Task",
            "input": {"description": "Add index", "subagent_type": "schema-keeper", "prompt": "Add an index on orders.sku"}}
    write = {"type": "tool_use", "id": "toolu_write", "name": "Write",
             "input": {"file_path": "/home/ana/shop-api/migrations/0007_sku_idx.sql",
                       "content": "CREATE INDEX orders_sku_idx ON orders (sku);\n"}}
    return [
        _line(1, None, "user", "use the schema-keeper agent to add an index on orders.sku"),
        _line(2, 1, "assistant", [task]),
        _line(3, 2, "user", [{"tool_use_id": "toolu_task", "type": "tool_result", "content": task_result,
                              "is_error": task_failed}],
              toolUseResult=f"Error: {task_result}" if task_failed else {"content": [{"type": "text", "text": task_result}]}),
        _line(4, 3, "assistant", [{"type": "text", "text": "I'll write the migration directly."}]),
        _line(5, 4, "assistant", [write]),
        _line(6, 5, "user", [{"tool_use_id": "toolu_write", "type": "tool_result",
                              "content": "File created successfully at: /home/ana/shop-api/migrations/0007_sku_idx.sql"}],
              toolUseResult={"type": "create", "filePath": "/home/ana/shop-api/migrations/0007_sku_idx.sql"}),
        _line(7, 6, "assistant", [{"type": "text", "text": "Added migrations/0007_sku_idx.sql with the index on orders.sku."}]),
    ]


def _detectors(tmp_path: Path, lines: list[dict]) -> set[str]:
    path = tmp_path / "-home-ana-shop-api" / f"{SESSION}.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    loaded = forensics.load(path)
    task = next(r for r in loaded.spans.to_pylist() if r["name"] == "Task")
    assert task["kind"] == "handoff"
    findings, _ = forensics.classify(loaded.spans).to_polars()
    return set(findings["detector"].to_list())


def test_task_that_failed_is_no_dangling_handoff(tmp_path: Path) -> None:
    # The Task tool refused the unknown sub-agent type: nothing was handed to anyone.
    found = _detectors(tmp_path, _session("Agent type 'schema-keeper' not found. Available agents: general-purpose, "
                                          "statusline-setup", task_failed=True))
    assert "dangling_handoff" not in found


def test_task_that_returned_with_no_sub_agent_at_work_is_dangling(tmp_path: Path) -> None:
    # Near miss: the Task call returned normally, yet no line of the session shows the sub-agent at
    # work (no sidechain): the handoff is still one nobody was seen to take up.
    found = _detectors(tmp_path, _session("Index added.", task_failed=False))
    assert "dangling_handoff" in found


def test_refused_task_then_doing_the_work_is_no_swallowed_error(tmp_path: Path) -> None:
    # The refusal is the Task tool's is_error result, read by the model (handed back), and the model
    # then did the step itself: nothing was swallowed.
    found = _detectors(tmp_path, _session("Agent type 'schema-keeper' not found. Available agents: general-purpose",
                                          task_failed=True))
    assert not found & {"swallowed_error", "unhandled_error"}


def test_refused_task_then_claiming_it_done_is_swallowed(tmp_path: Path) -> None:
    # Near miss: the model does nothing after the refusal and says the sub-agent did the work. The
    # run reported success over the ignored refusal: swallowed_error, told once (no unhandled_error:
    # a failure the run reported success over is the silent failure it became).
    lines = _session("Agent type 'schema-keeper' not found. Available agents: general-purpose", task_failed=True)[:3]
    lines.append(_line(4, 3, "assistant", [{"type": "text", "text": "schema-keeper added the index on orders.sku."}]))
    found = _detectors(tmp_path, lines)
    assert "swallowed_error" in found
    assert "unhandled_error" not in found
