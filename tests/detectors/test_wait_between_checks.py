"""A wait repeated between status checks is waiting, not a loop.

browser-use registers a ``wait`` action ("Waited for N seconds"); computer-use tools have one too.
Its result is the wait itself, the same every time by design: an agent that waits, checks the
export's status, waits again and checks again until it is done lost nothing. Near misses: three
waits with nothing in between; a status check that never changes (the check is the loop).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from span_builder import detectors, one, run, span

WAIT = ("wait", {"seconds": 10}, "🕒  Waited for 10 seconds")


def _status(state: str) -> tuple[str, dict[str, Any], str]:
    return ("get_export_status", {"job_id": "exp_2231"}, json.dumps({"status": state}))


def _session(calls: list[tuple[str, dict[str, Any], str]]):
    spans = [span("run", 0, 100, kind="chain", name="agent"),
             span("u", 0.5, 0.5, parent_id="run", kind="human", output="Export last month's orders.")]  # fmt: skip
    t = 2.0
    for i, (tool, args, out) in enumerate(calls):
        spans.append(span(f"l{i}", t, t + 0.5, parent_id="run", kind="llm", name="model", output=""))
        spans.append(span(f"t{i}", t + 1, t + 2, parent_id="run", kind="tool", tool=tool, input=json.dumps(args), output=out))
        t += 3
    spans.append(span("fin", t, t + 0.5, parent_id="run", kind="llm", name="final", output="The export is ready."))
    return run(*spans)


def test_waits_between_changing_checks_are_no_repeat() -> None:
    calls = [WAIT, _status("running"), WAIT, _status("running"), WAIT, _status("succeeded")]
    assert "repeated_action" not in detectors(_session(calls))


@pytest.mark.parametrize("tool", ["wait_minutes", "sleep_seconds", "wait_for_minutes", "WaitHours"])
def test_a_wait_tool_named_by_its_unit_between_changing_checks_is_no_repeat(tool: str) -> None:
    wait = (tool, {"minutes": 10}, "waited 10 minutes")
    calls = [wait, _status("running"), wait, _status("running"), wait, _status("succeeded")]
    assert "repeated_action" not in detectors(_session(calls))


def test_near_miss_a_tool_named_for_what_it_waits_on_is_no_bare_wait() -> None:
    # wait_for_export returns the export's state: three identical answers in a row are a loop.
    wait_on = ("wait_for_export", {"job_id": "exp_2231"}, json.dumps({"status": "running"}))
    calls = [wait_on, _status("running"), wait_on, _status("queued"), wait_on, _status("succeeded")]
    assert one(_session(calls), "repeated_action")["decisive_span_id"] == "t2"  # the first repeat


def test_near_miss_waits_back_to_back_or_a_check_that_never_changes() -> None:
    assert one(_session([WAIT, WAIT, WAIT, _status("succeeded")]), "repeated_action")["decisive_span_id"] == "t1"
    stuck = [WAIT, _status("running"), WAIT, _status("running"), WAIT, _status("running")]
    assert one(_session(stuck), "repeated_action")["decisive_span_id"] == "t3"  # the second check
