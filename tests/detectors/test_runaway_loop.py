"""runaway_loop: a loop of identical calls that its user had to interrupt, having re-sent more than
a context window; firing and near-miss tests."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _session(tokens: int, rounds: int = 4, *, interrupt: str | None = "[Request interrupted by user]"):
    rows = [span("u1", 0, 0, kind="human", name="user", output="why is the forecast off on holidays?")]
    t = 1.0
    for r in range(rounds):
        for f in ("calendar.py", "features.py"):
            rows.append(span(f"m{r}{f}", t, t + 1, kind="llm", name="assistant", model="gpt-4o",
                             input_tokens=tokens, output_tokens=50))
            rows.append(span(f"read{r}{f}", t + 1, t + 2, kind="tool", name="Read", tool="Read",
                             input=json.dumps({"file_path": f"/src/{f}"}), output=f"contents of {f}"))
            t += 3
    if interrupt is not None:
        rows.append(span("u2", t, t, kind="human", name="user", output=interrupt))
    return run(*rows)


def test_interrupted_loop_past_the_window_fires_at_the_first_repeat() -> None:
    f = one(_session(60_000), "runaway_loop")
    assert f["decisive_span_id"] == "read1calendar.py"
    assert "more than the model's 128000-token context window" in f["explanation"]


def test_small_loop_or_no_interrupt_is_no_runaway() -> None:
    # Near misses: the same interrupted loop on a small context (the repeats re-sent less than a
    # window); the same large loop with no interrupt (the run went on: repeated_action's alone);
    # and a user message that is no interrupt.
    assert "runaway_loop" not in detectors(_session(8_000))
    assert "runaway_loop" not in detectors(_session(60_000, interrupt=None))
    assert "runaway_loop" not in detectors(_session(60_000, interrupt="please also check the lag features"))
