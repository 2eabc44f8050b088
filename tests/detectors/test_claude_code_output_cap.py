"""A Claude Code answer the model stopped at its output cap is a cut output: context_overflow.

Claude Code writes each assistant message of the session to its transcript as the Anthropic
Messages API returned it (``message.stop_reason``: ``end_turn``, ``tool_use``, ``max_tokens``...;
anthropics/anthropic-sdk-python ``src/anthropic/types/stop_reason.py``), with the ``usage`` beside
it; the loader files the message's own keys under ``message.`` (forensics/loaders/claude_code.py),
so the stop reason reaches the detectors as ``"message.stop_reason": "max_tokens"``. An answer cut
there and left as the session's last word lost what it did not write.

Near misses: the same answer ending its turn (``end_turn``); a cut answer the person asked to go on
from and the model then finished (the cut was taken up, nothing lost).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from claude_transcript import MODEL, Transcript

import forensics


def _session(stops: list[tuple[str, str]], *, between: str | None = None) -> Transcript:
    t = Transcript("6a2f0e1c-3b7d-4c55-9e0a-2d8b1f4c7e90", "/home/dev/contracts")
    t.said("Summarise every termination clause in msa.md into review.md, one entry per clause.")
    t.called("toolu_01", "Read", {"file_path": "/home/dev/contracts/msa.md"}, "     1\t# MASTER SERVICES AGREEMENT\n")
    for k, (text, stop) in enumerate(stops):
        if k and between:
            t.said(between)
        t.add("assistant", {"id": f"msg_0{k}", "type": "message", "role": "assistant", "model": MODEL,
                            "content": [{"type": "text", "text": text}], "stop_reason": stop, "stop_sequence": None,
                            "usage": {"input_tokens": 9120, "output_tokens": 8192 if stop == "max_tokens" else 640}})  # fmt: skip
    return t


def _detectors(tmp_path: Path, t: Transcript) -> list[Any]:
    findings, _ = forensics.classify(forensics.load(t.write(tmp_path / "s.jsonl")).spans).to_polars()
    return findings["detector"].to_list()


CUT = "17.2 Either party may terminate for convenience on 90 days' notice, provided always that where"


def test_an_answer_stopped_at_max_tokens_was_cut(tmp_path: Path) -> None:
    assert "context_overflow" in _detectors(tmp_path, _session([(CUT, "max_tokens")]))


def test_near_miss_an_answer_that_ended_its_turn(tmp_path: Path) -> None:
    done = "17.2 Either party may terminate for convenience on 90 days' notice. Risk: low."
    assert "context_overflow" not in _detectors(tmp_path, _session([(done, "end_turn")]))


def test_near_miss_a_cut_answer_continued_and_finished(tmp_path: Path) -> None:
    rest = "the claim is regulatory. 17.3 Termination for cause: 30 days to cure. Risk: medium."
    t = _session([(CUT, "max_tokens"), (rest, "end_turn")], between="Continue from where you stopped.")
    assert "context_overflow" not in _detectors(tmp_path, t)
