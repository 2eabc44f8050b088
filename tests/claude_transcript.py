"""Claude Code session transcripts for tests: one JSON object a line, as Claude Code writes
``~/.claude/projects/<project>/<sessionId>.jsonl`` (``type`` user / assistant, ``uuid`` chained by
``parentUuid``, ``sessionId``, ``timestamp``, ``cwd``, ``message`` in the Anthropic Messages shape:
a ``tool_use`` block in an assistant message, its ``tool_result`` in the next user message)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODEL = "claude-sonnet-4-20250514"


class Transcript:
    """Lines added in order, each chained to the one before it, two seconds apart."""

    def __init__(self, session: str, cwd: str, day: str = "2025-09-18T11:40") -> None:
        self.session, self.cwd, self.day = session, cwd, day
        self.lines: list[dict[str, Any]] = []

    def add(self, kind: str, message: dict[str, Any]) -> None:
        uid = f"u{len(self.lines)}"
        parent = self.lines[-1]["uuid"] if self.lines else None
        self.lines.append({"type": kind, "uuid": uid, "parentUuid": parent, "sessionId": self.session,
                           "timestamp": f"{self.day}:{2 * len(self.lines):02d}.000Z", "cwd": self.cwd, "message": message})  # fmt: skip

    def said(self, text: str) -> None:
        """A person's turn (or a system reminder Claude Code sends as a user message)."""
        self.add("user", {"role": "user", "content": text})

    def answered(self, text: str) -> None:
        self.add("assistant", {"role": "assistant", "model": MODEL, "content": [{"type": "text", "text": text}]})

    def called(self, tid: str, name: str, given: dict[str, Any], result: str, is_error: bool = False) -> None:
        """A tool call and its result."""
        self.add("assistant", {"role": "assistant", "model": MODEL,
                               "content": [{"type": "tool_use", "id": tid, "name": name, "input": given}]})  # fmt: skip
        self.add("user", {"role": "user", "content": [{"tool_use_id": tid, "type": "tool_result", "content": result,
                                                       "is_error": is_error}]})  # fmt: skip

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(json.dumps(x) for x in self.lines) + "\n")
        return path
