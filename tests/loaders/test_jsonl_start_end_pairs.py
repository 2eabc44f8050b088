"""An app log writing a step's start and end as two lines under one span id: one row.

The shape of in-house JSON-lines step logs (the ``jsonl`` loader's common keys: ``ts``, ``run_id``,
``span_id``, ``event``, ``tool``, ``status``, ``result``) where a step is logged when it begins and
again when it ends, the event name saying which (``tool.start`` / ``tool.end``) or a ``phase`` field,
as RAAF's start/end records do (forensics/loaders/event_pairs.py, /work/shared/formats/jsonl_app_logs/
raaf_traces.jsonl). The end line was quarantined as ``duplicate-span-id`` and the step's result lost.
Near misses: two lines of one span id that say no phase, or two starts, stay a duplicate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import forensics


def _line(at: str, event: str, **fields: Any) -> dict[str, Any]:
    return {"ts": f"2025-12-01T03:00:{at}Z", "level": "info", "run_id": "pay-1", "span_id": "9f2c41d0a7e3b815",
            "parent_span_id": "1b7e", "agent": "payables", "event": event, **fields}


def _load(tmp_path: Path, lines: list[dict[str, Any]]) -> forensics.LoadResult:
    path = tmp_path / "steps.log.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return forensics.load(path)


def test_a_start_and_its_end_are_one_step(tmp_path: Path) -> None:
    loaded = _load(tmp_path, [
        _line("00.000", "tool.start", tool="bank.create_transfer", args={"amount_eur": 48600}),
        _line("02.500", "tool.end", tool="bank.create_transfer", status="error",
              error={"type": "ApprovalExpired", "message": "approval expired after 3600 s"}),
    ])
    account = loaded.report.files[0]
    assert (account.rows, account.merged, account.quarantined) == (1, 1, 0)
    [row] = loaded.spans.to_pylist()
    assert (row["kind"], row["tool"], row["status"], row["error_type"]) == ("tool", "bank.create_transfer", "error", "ApprovalExpired")
    assert (row["start_time"].isoformat(), row["end_time"].isoformat()) == ("2025-12-01T03:00:00+00:00", "2025-12-01T03:00:02.500000+00:00")
    assert json.loads(row["input"]) == {"amount_eur": 48600}
    assert json.loads(row["attributes"])["@end_name"] == "tool.end"


def test_a_phase_field_pairs_the_same_way(tmp_path: Path) -> None:
    loaded = _load(tmp_path, [
        _line("00.000", "enrich_batch", phase="start"),
        _line("09.000", "enrich_batch", phase="end", status="ok", result={"products": 1843}),
    ])
    [row] = loaded.spans.to_pylist()
    assert (row["status"], json.loads(row["output"]), row["end_time"].isoformat()) == ("ok", {"products": 1843}, "2025-12-01T03:00:09+00:00")
    assert json.loads(row["attributes"])["@start"] == {"phase": "start"}  # the start's phase, kept


def test_a_start_with_no_end_is_kept_as_read(tmp_path: Path) -> None:
    loaded = _load(tmp_path, [_line("00.000", "tool.start", tool="bank.create_transfer")])
    [row] = loaded.spans.to_pylist()
    assert (row["kind"], row["end_time"], loaded.report.files[0].merged) == ("tool", None, 0)


def test_near_miss_two_lines_saying_no_phase_stay_a_duplicate(tmp_path: Path) -> None:
    loaded = _load(tmp_path, [_line("00.000", "tool.result", tool="a", status="ok"),
                              _line("01.000", "tool.result", tool="b", status="error")])
    assert loaded.quarantine.column("reason").to_pylist() == ["duplicate-span-id"]


def test_near_miss_two_starts_stay_a_duplicate(tmp_path: Path) -> None:
    loaded = _load(tmp_path, [_line("00.000", "tool.start", tool="a"), _line("01.000", "tool.start", tool="b")])
    assert loaded.quarantine.column("reason").to_pylist() == ["duplicate-span-id"]
