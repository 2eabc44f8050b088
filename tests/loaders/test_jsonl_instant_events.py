"""jsonl: what an instant event is, and a line that says when its work began.

An in-house app log writes one JSON object per line with the logger's stamp (``ts``; structlog's
``TimeStamper(key="ts")``, python-json-logger's ``timestamp``) on every line, written when the line
is. A budget or rate-limit check names the model it is about (``"model": "gpt-4o"``) and reports a
moment; a model call line holds the call (its prompt, answer, tokens or cost) and its time. A line
for finished work that also says when the work began (``start_ts``) was written at its end, so its
stamp is the end. (forensics/loaders/jsonl.py, module doc.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import forensics


def _log(tmp_path: Path, *lines: dict) -> Path:
    path = tmp_path / "app.jsonl"
    path.write_text("".join(json.dumps({"run_id": "run-41", "agent": "pricing", **line}) + "\n" for line in lines))
    return path


def test_a_line_naming_a_model_and_nothing_of_a_call_is_a_moment(tmp_path: Path) -> None:
    path = _log(tmp_path, {"ts": "2025-05-02T10:00:00Z", "event": "budget.check", "level": "info", "model": "gpt-4o",
                           "spent_usd": 0.42, "limit_usd": 5.0})
    row = forensics.load(path, format="jsonl").to_polars().row(0, named=True)
    assert (row["kind"], row["model"], row["end_time"]) == ("event", None, row["start_time"])
    assert json.loads(row["attributes"])["model"] == "gpt-4o"  # nothing lost


def test_near_miss_a_model_call_line_stays_a_call_and_an_unfinished_one_stays_open(tmp_path: Path) -> None:
    path = _log(
        tmp_path,
        {"ts": "2025-05-02T10:00:01Z", "event": "llm.call", "model": "gpt-4o", "prompt_tokens": 812,
         "completion_tokens": 64, "duration_ms": 950},
        {"ts": "2025-05-02T10:00:03Z", "event": "llm.request", "model": "gpt-4o", "prompt": "Quote the price"},
        {"ts": "2025-05-02T10:00:04Z", "event": "llm.request", "kind": "llm", "model": "gpt-4o"},
    )
    df = forensics.load(path, format="jsonl").to_polars().sort("start_time")
    assert df["kind"].to_list() == ["llm", "llm", "llm"]
    assert df["model"].to_list() == ["gpt-4o"] * 3
    assert (df["end_time"][0] - df["start_time"][0]).total_seconds() == pytest.approx(0.95)
    assert df["end_time"][1:].to_list() == [None, None]  # said or shown to be a call: open until it ends


def test_a_start_key_beside_the_stamp_makes_the_stamp_the_end(tmp_path: Path) -> None:
    path = _log(tmp_path, {"start_ts": "2025-05-02T10:00:00Z", "ts": "2025-05-02T10:00:02.5Z", "event": "tool.call",
                           "tool": "price.lookup", "status": "ok"})
    row = forensics.load(path, format="jsonl").to_polars().row(0, named=True)
    assert row["start_time"].isoformat() == "2025-05-02T10:00:00+00:00"
    assert (row["end_time"] - row["start_time"]).total_seconds() == pytest.approx(2.5)


def test_near_miss_a_stamp_alone_is_the_start_and_a_stamp_before_the_start_is_no_end(tmp_path: Path) -> None:
    path = _log(
        tmp_path,
        {"ts": "2025-05-02T10:00:00Z", "event": "tool.call", "tool": "price.lookup"},
        {"start_ts": "2025-05-02T10:00:05Z", "ts": "2025-05-02T10:00:04Z", "event": "tool.call", "tool": "price.lookup"},
    )
    df = forensics.load(path, format="jsonl").to_polars().sort("start_time")
    assert df["start_time"][0].isoformat() == "2025-05-02T10:00:00+00:00" and df["end_time"][0] is None
    assert df["start_time"][1].isoformat() == "2025-05-02T10:00:05+00:00" and df["end_time"][1] is None
