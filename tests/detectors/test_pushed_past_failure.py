"""A failure the run told of and then pushed past into an irreversible act was not handled.

LangSmith's SDK ingest (``{"post": [RunCreate], "patch": [RunUpdate]}``: langsmith-sdk
``python/langsmith/client.py`` batch_ingest_runs; a ``@traceable`` function's run posted with its
``inputs``, patched with ``outputs`` or ``error``, the traceback ``traceable`` records when the
function raised; forensics/loaders/langsmith.py folds each patch into its post). An agent's tool
raised (a statement cancelled on a lock timeout), the model's next turn says so and goes ahead
with an irreversible tool, and the run ends with a failure result about what followed. Telling the
failure and carrying on is no handling of it (TAXONOMY unhandled_error: "the run just carries on";
handling.pushed_past); a retry that succeeded before the act, or a run that stopped at the
failure and reported it, handled it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

TRACE = "3f1c0a52-7d2e-4b8e-9a61-0c5d2e8f4a10"
ERROR = (
    "Traceback (most recent call last):\n  File \"/srv/ops/tools.py\", line 41, in snapshot_database\n"
    "psycopg2.errors.QueryCanceled: canceling statement due to statement timeout"
)


def _run(i: int, name: str, run_type: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None,
         error: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    rid = TRACE if i == 0 else f"3f1c0a52-7d2e-4b8e-9a61-{i:012d}"
    start = f"2025-03-02T10:00:{i * 2:02d}.000000+00:00"
    end = f"2025-03-02T10:00:{i * 2 + 1:02d}.000000+00:00" if i else "2025-03-02T10:00:59.000000+00:00"
    stamp = start[:19].replace("-", "").replace(":", "") + "000000Z"
    post = {"id": rid, "trace_id": TRACE, "name": name, "run_type": run_type, "start_time": start, "inputs": inputs,
            "dotted_order": (f"20250302T100000000000Z{TRACE}." if i else "") + stamp + rid,
            "extra": {"metadata": {"ls_method": "traceable"}}, "session_name": "ops-bot"}  # fmt: skip
    if i:
        post["parent_run_id"] = TRACE
    patch = {"id": rid, "trace_id": TRACE, "end_time": end, "outputs": outputs or {}, "error": error}
    return post, patch


def _llm(i: int, text: str, call: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    msg = {"content": text, "tool_calls": [{"name": call, "args": {}}] if call else []}
    return _run(i, "ChatAnthropic", "llm", {"messages": [[{"role": "user", "content": "Retire the legacy ledger."}]]},
                {"generations": [[{"text": text, "type": "ChatGeneration", "message": msg}]]})  # fmt: skip


def _classify(tmp_path: Path, steps: list[tuple[dict[str, Any], dict[str, Any]]], final: dict[str, Any]) -> pl.DataFrame:
    root = _run(0, "ops_agent", "chain", {"database": "ledger-legacy"}, final)
    runs = [root, *steps]
    path = tmp_path / "pushed.langsmith_ingest.json"
    path.write_text(json.dumps({"post": [p for p, _ in runs], "patch": [q for _, q in runs]}))
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))


SNAPSHOT_FAILED = _run(2, "snapshot_database", "tool", {"database": "ledger-legacy"}, error=ERROR)
DROP = _run(4, "drop_database", "tool", {"database": "ledger-legacy"}, {"dropped": True})


def _unhandled(found: pl.DataFrame) -> list[str]:
    return found.filter(pl.col("detector") == "unhandled_error").get_column("decisive_span_id").to_list()


def test_a_failure_told_and_pushed_past_into_a_drop_is_unhandled(tmp_path: Path) -> None:
    steps = [
        _llm(1, "Taking a snapshot first.", "snapshot_database"),
        SNAPSHOT_FAILED,
        _llm(3, "The snapshot timed out. Proceeding with the drop anyway.", "drop_database"),
        DROP,
        _run(5, "verify_reports", "tool", {"database": "ledger-legacy"}, error="ReportsBroken: 3 reports read ledger-legacy"),
        _llm(6, "The drop broke 3 reports that still read ledger-legacy."),
    ]
    found = _classify(tmp_path, steps, {"status": "failed", "summary": "The drop broke 3 reports."})
    assert _unhandled(found) == [SNAPSHOT_FAILED[0]["id"]]


def test_near_miss_the_failure_retried_into_a_success_before_the_drop(tmp_path: Path) -> None:
    steps = [
        _llm(1, "Taking a snapshot first.", "snapshot_database"),
        SNAPSHOT_FAILED,
        _llm(3, "The snapshot timed out; trying it again.", "snapshot_database"),
        _run(4, "snapshot_database", "tool", {"database": "ledger-legacy"}, {"snapshot": "snap-0192"}),
        _llm(5, "Snapshot taken. Dropping the database.", "drop_database"),
        _run(6, "drop_database", "tool", {"database": "ledger-legacy"}, {"dropped": True}),
        _llm(7, "Snapshot snap-0192 taken and ledger-legacy dropped."),
    ]
    found = _classify(tmp_path, steps, {"status": "succeeded", "summary": "Snapshot snap-0192 taken, database dropped."})
    assert _unhandled(found) == []


def test_near_miss_the_run_stopped_at_the_failure_and_reported_it(tmp_path: Path) -> None:
    steps = [
        _llm(1, "Taking a snapshot first.", "snapshot_database"),
        SNAPSHOT_FAILED,
        _llm(3, "The snapshot timed out, so I did not drop the database. Please retry later."),
    ]
    found = _classify(tmp_path, steps, {"status": "failed", "summary": "Snapshot timed out; nothing dropped."})
    assert _unhandled(found) == []
