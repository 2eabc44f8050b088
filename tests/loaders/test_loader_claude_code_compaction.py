"""Claude Code compaction keeps one conversation: the boundary links back through ``logicalParentUuid``.

Claude Code writes the ``compact_boundary`` system line with ``parentUuid: null`` and the uuid of the
last message before the compaction in ``logicalParentUuid`` (Claude Code source, mirrored at
Esonhugh/claude-code ``src/utils/sessionStorage.ts``, ``insertMessageChain``: ``parentUuid:
isCompactBoundary ? null : effectiveParentUuid``, ``logicalParentUuid: isCompactBoundary ? parentUuid``;
``src/types/message.ts`` ``SystemCompactBoundaryMessage``). The compact summary (a user line,
``isCompactSummary``) and everything after it chain from the boundary.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

_S = "8c1f2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
_MODEL = "claude-sonnet-4-5-20250929"


def _line(uuid: str, parent: str | None, kind: str, second: int, **rest: object) -> str:
    return json.dumps({"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/w",
                       "sessionId": _S, "version": "2.0.1", "type": kind, "uuid": uuid,
                       "timestamp": f"2026-03-02T10:00:{second:02d}.000Z", **rest})


def _load(tmp_path: Path, logical: str | None) -> dict[str, dict]:
    boundary = {"logicalParentUuid": logical} if logical is not None else {}
    lines = [
        _line("u1", None, "user", 0, message={"role": "user", "content": "refactor the billing module"}),
        _line("a1", "u1", "assistant", 2, message={"id": "msg_1", "role": "assistant", "model": _MODEL,
              "content": [{"type": "text", "text": "Reading billing.py first."}]}),
        _line("c1", None, "system", 5, subtype="compact_boundary", content="Conversation compacted",
              level="info", isMeta=False, compactMetadata={"trigger": "auto", "preTokens": 155312}, **boundary),
        _line("u2", "c1", "user", 6, isCompactSummary=True, isVisibleInTranscriptOnly=True,
              message={"role": "user", "content": "This session is being continued from a previous conversation."}),
        _line("a2", "u2", "assistant", 8, message={"id": "msg_2", "role": "assistant", "model": _MODEL,
              "content": [{"type": "text", "text": "Continuing: billing.py split into two modules."}]}),
    ]
    path = tmp_path / f"{_S}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    loaded = forensics.load(path)
    assert loaded.spans.num_rows == len(lines) and loaded.quarantine.num_rows == 0  # every line a row
    return {r["span_id"]: r for r in loaded.spans.to_pylist()}


def test_the_boundary_hangs_under_the_last_message_before_compaction(tmp_path: Path) -> None:
    rows = _load(tmp_path, logical="a1")
    assert (rows["c1"]["kind"], rows["c1"]["name"], rows["c1"]["parent_id"]) == ("event", "compact_boundary", "a1")
    assert json.loads(rows["c1"]["attributes"])["logicalParentUuid"] == "a1"
    roots = [r["span_id"] for r in rows.values() if r["parent_id"] is None]
    assert roots == ["u1"]  # one tree: the summary and the answer after it reach the first message


def test_near_miss_a_logical_parent_not_in_the_file_leaves_a_root(tmp_path: Path) -> None:
    # An older file's head was cut off: the boundary cannot point at a message the table lacks.
    rows = _load(tmp_path, logical="gone-0000")
    assert rows["c1"]["parent_id"] is None
    assert sorted(r["span_id"] for r in rows.values() if r["parent_id"] is None) == ["c1", "u1"]


def test_near_miss_no_logical_parent_nothing_changes(tmp_path: Path) -> None:
    rows = _load(tmp_path, logical=None)
    assert rows["c1"]["parent_id"] is None and rows["u2"]["parent_id"] == "c1"
