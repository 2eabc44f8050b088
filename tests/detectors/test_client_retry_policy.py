"""A client that states its own retry limit and backs off runs its own retry policy.

Claude Code retries a failed API request itself and writes each failure as a system line
(``subtype: api_error``, ``retryAttempt``, ``maxRetries`` 10, ``retryInMs`` doubling: the CLI's
"Retrying in N seconds… (attempt n/10)", anthropics/claude-code#2919). Four 529s retried with growing
waits, then an answer, is that policy working, no retry storm against our limit of 3. Near misses:
the same four retries with flat spacing (no backoff), or more retries than the client's own limit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import forensics

T0 = datetime(2025, 7, 16, 9, 14, 5, tzinfo=UTC)
OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def _session(tmp_path: Path, waits: list[float], max_retries: int = 10, took: float = 0.0) -> list[str]:
    """A user prompt, one api_error line per failed attempt (each ``waits[i]`` seconds after the
    previous line, announcing that wait as retryInMs, plus ``took`` seconds the next attempt spent
    on the wire before it failed), then the answer."""
    base = {"isSidechain": False, "userType": "external", "cwd": "/w", "sessionId": "s-1", "version": "1.0.98"}
    lines = [{**base, "type": "user", "uuid": "u0", "parentUuid": None, "timestamp": T0.isoformat(),
              "message": {"role": "user", "content": "Build the RSS feed."}}]
    t, parent = T0 + timedelta(seconds=3), "u0"
    for i, wait in enumerate(waits):
        uid = f"e{i}"
        lines.append({**base, "type": "system", "subtype": "api_error", "level": "error", "uuid": uid, "parentUuid": parent,
                      "timestamp": t.isoformat(), "content": f"API Error (529 ...) · Retrying (attempt {i + 1}/{max_retries})",
                      "error": {"status": 529, "headers": {}, "error": OVERLOADED},
                      "retryInMs": int(wait * 1000), "retryAttempt": i + 1, "maxRetries": max_retries})
        t, parent = t + timedelta(seconds=wait + took), uid
    lines.append({**base, "type": "assistant", "uuid": "a1", "parentUuid": parent, "timestamp": t.isoformat(),
                  "message": {"role": "assistant", "model": "claude-sonnet-4-20250514",
                              "content": [{"type": "text", "text": "The feed is built and validates."}]}})
    path = tmp_path / "session.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


def test_the_clients_own_retries_with_backoff_within_its_limit_are_no_storm(tmp_path: Path) -> None:
    assert "retry_storm" not in _session(tmp_path, [1.1, 1.1, 2.2, 4.4])


def test_near_miss_the_same_retries_with_flat_spacing_are_a_storm(tmp_path: Path) -> None:
    assert "retry_storm" in _session(tmp_path, [1.0, 1.0, 1.0, 1.0])


def test_near_miss_more_retries_than_the_clients_own_limit_are_a_storm(tmp_path: Path) -> None:
    assert "retry_storm" in _session(tmp_path, [1.1, 1.1, 2.2, 4.4, 8.8], max_retries=3)


def test_slow_attempts_with_the_scheduled_wait_doubling_are_no_storm(tmp_path: Path) -> None:
    """Each 529 took 30 s to come back, so the error lines are ~31, 32, 34 s apart: the gap is mostly
    the attempt itself. The wait the client scheduled (retryInMs 1.1, 2.2, 4.4 s) is its backoff."""
    assert "retry_storm" not in _session(tmp_path, [1.1, 2.2, 4.4], took=30.0)


def test_near_miss_slow_attempts_with_a_flat_scheduled_wait_are_a_storm(tmp_path: Path) -> None:
    """The same slow attempts, but the client scheduled the same 0.5 s each time: no backoff."""
    assert "retry_storm" in _session(tmp_path, [0.5, 0.5, 0.5], took=30.0)
