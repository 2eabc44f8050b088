"""Claude Code api_error lines that schedule a retry are failed attempts of the next model call.

The CLI writes a system line (subtype api_error, retryInMs/retryAttempt/maxRetries) each time a
request fails and it will retry ("Retrying in N seconds… (attempt n/10)", anthropics/claude-code#2919).
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

_S = "2f0d6c1e-0a4b-4c55-9d1e-7a3b2c1d0e9f"
_MODEL = "claude-sonnet-4-5-20250929"


def _line(uuid: str, parent: str | None, kind: str, second: int, **rest: object) -> str:
    return json.dumps({"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/w",
                       "sessionId": _S, "version": "2.0.1", "type": kind, "uuid": uuid,
                       "timestamp": f"2026-03-02T10:00:{second:02d}.000Z", **rest})


def _api_error(uuid: str, parent: str, second: int, attempt: int | None) -> str:
    retry = {} if attempt is None else {"retryInMs": 1000 * 2**attempt, "retryAttempt": attempt, "maxRetries": 10}
    return _line(uuid, parent, "system", second, subtype="api_error", level="error",
                 content='API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
                 error={"status": 529}, **retry)


def _session(tmp_path: Path, attempt: int | None) -> dict[str, dict]:
    lines = [
        _line("u1", None, "user", 0, message={"role": "user", "content": "add a retry decorator"}),
        _api_error("e1", "u1", 1, None if attempt is None else 1),
        _api_error("e2", "e1", 3, None if attempt is None else 2),
        _line("a1", "e2", "assistant", 8, message={"id": "msg_1", "role": "assistant", "model": _MODEL,
              "content": [{"type": "text", "text": "Done: retry.py added."}]}),
    ]
    path = tmp_path / f"{_S}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return {r["span_id"]: r for r in forensics.load(path).spans.to_pylist()}


def test_retried_api_errors_are_attempts_of_the_next_model_call(tmp_path: Path) -> None:
    rows = _session(tmp_path, attempt=1)
    for e in ("e1", "e2"):
        assert (rows[e]["kind"], rows[e]["model"], rows[e]["status"], rows[e]["parent_id"]) == ("llm", _MODEL, "error", "u1")
    assert (rows["a1"]["parent_id"], json.loads(rows["a1"]["attributes"])["@parentUuid"]) == ("u1", "e2")
    assert "swallowed_error" not in {f["detector"] for f in _findings(tmp_path)}


def test_near_miss_an_api_error_with_no_retry_scheduled_stays_an_event(tmp_path: Path) -> None:
    rows = _session(tmp_path, attempt=None)
    # Nothing says the CLI retried: the failure is not taken for an attempt of the later call.
    assert (rows["e1"]["kind"], rows["e1"]["parent_id"]) == ("event", "u1")
    assert rows["a1"]["parent_id"] == "e2"


def _findings(tmp_path: Path) -> list[dict]:
    result = forensics.classify(forensics.load(tmp_path / f"{_S}.jsonl"))
    return result.findings.to_pylist()
