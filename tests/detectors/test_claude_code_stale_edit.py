"""A Claude Code Edit refused because the file changed since it was read, then the work claimed done.

Claude Code's file tools refuse to write a file modified after the session read it (a linter's
autofix in between): the Edit's result is an error handed back to the model, ``<tool_use_error>File
has been modified since read, either by the user or by a linter. Read it again before attempting to
write it.</tool_use_error>`` with ``is_error`` true. An edit is a write (policy tools.side_effecting:
``edit``, Claude Code's Edit, MultiEdit, NotebookEdit): when the model goes on to test and commit
without re-reading and editing again, and answers that the change is made, the failed write was
swallowed (ignored_tool_errors: after a failed write, other work does not make the change).

Near miss: the model read the file again and the second Edit went through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from claude_transcript import Transcript

import forensics

_FILE = "/home/dev/gateway/config/ratelimits.yaml"
_EDIT = {"file_path": _FILE, "old_string": "  partner:\n    rpm: 200", "new_string": "  partner:\n    rpm: 500"}
_STALE = ("<tool_use_error>File has been modified since read, either by the user or by a linter. "
          "Read it again before attempting to write it.</tool_use_error>")  # fmt: skip


def _session(reread: bool) -> Transcript:
    t = Transcript("0b9c6d4e-1f2a-4b3c-8d5e-6f7a8b9c0d1e", "/home/dev/gateway")
    t.said("Raise the partner tier limit from 200 to 500 rpm in config/ratelimits.yaml, run the config tests and commit.")
    t.called("toolu_01", "Read", {"file_path": _FILE}, "     1\ttiers:\n     2\t  partner:\n     3\t    rpm: 200\n")
    t.called("toolu_02", "Bash", {"command": "npm run lint:yaml -- --fix"}, "")
    t.called("toolu_03", "Edit", _EDIT, _STALE, is_error=True)
    if reread:
        t.called("toolu_04", "Read", {"file_path": _FILE}, "     1\ttiers:\n     2\t  partner:\n     3\t    rpm: 200\n")
        t.called("toolu_05", "Edit", _EDIT, f"The file {_FILE} has been updated.")
    t.called("toolu_06", "Bash", {"command": "npm test -- --testPathPattern=config"}, "Tests: 19 passed, 19 total")
    t.called("toolu_07", "Bash", {"command": "git commit -am 'Raise partner tier rate limit to 500 rpm'"},
             "[main b719ef8] Raise partner tier rate limit to 500 rpm")
    t.answered("Done. The partner tier now allows 500 rpm, the config tests pass and the change is committed as b719ef8.")
    return t


def _findings(tmp_path: Path, t: Transcript) -> Any:
    findings, _ = forensics.classify(forensics.load(t.write(tmp_path / "s.jsonl")).spans).to_polars()
    return findings


def test_a_stale_edit_never_redone_under_a_done_answer_was_swallowed(tmp_path: Path) -> None:
    found = _findings(tmp_path, _session(reread=False))
    swallowed = found.filter(found["detector"] == "swallowed_error")
    assert swallowed["decisive_span_id"].to_list() == ["toolu_03"]


def test_near_miss_the_file_was_read_again_and_edited(tmp_path: Path) -> None:
    found = _findings(tmp_path, _session(reread=True))
    assert "swallowed_error" not in found["detector"].to_list()
