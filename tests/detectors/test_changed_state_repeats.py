"""A browser agent that closes the pop-ups after each page it opens is not in a loop.

smolagents' vision browser (huggingface/smolagents src/smolagents/vision_web_browser.py) gives its
agent ``close_popups()``: no arguments, it presses Escape on the current page and returns the same
words every time ("Pressed ESC key to close popups"); agents built on it add a ``go_to_url(url)``
tool beside it. Closing the pop-ups after each navigation is the same call with the same result each
time, on a different page each time: repeated_action called it a loop. Ten in a row with nothing
between is the agent stuck on one pop-up.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

A = {"agent": "web_agent", "parent_id": "root"}
POP = ("close_popups", "{}", "Pressed ESC key to close popups")
PAGES = ("https://www.louvre.fr", "https://www.louvre.fr/en/visit", "https://www.louvre.fr/en/visit/hours",
         "https://www.louvre.fr/en/visit/tickets")  # fmt: skip


def _nav(url: str) -> tuple[str, str, str]:
    return ("go_to_url", json.dumps({"url": url}), f"Navigated to {url}")


def _run(calls: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    rows = [span("root", 0, 300, kind="agent", agent="web_agent", name="web_agent.run",
                  input="When is the Louvre open on Fridays?")]  # fmt: skip
    for i, (tool, args, out) in enumerate(calls):
        t = 1 + 3 * i
        rows.append(span(f"l{i}", t, t + 1, kind="llm", model="gpt-4o", **A, output=f"Thought: step {i}"))
        rows.append(span(f"t{i}", t + 1, t + 2, kind="tool", tool=tool, name=tool, input=args, output=out, **A))
    return rows


def test_near_miss_pop_ups_closed_after_each_page_opened() -> None:
    calls = [c for url in PAGES for c in (_nav(url), POP)]
    assert "repeated_action" not in detectors(run(*_run(calls)))


def test_ten_in_a_row_with_nothing_between_is_a_loop() -> None:
    f = one(run(*_run([_nav(PAGES[0]), *[POP] * 10])), "repeated_action")
    assert f["decisive_span_id"] == "t2" and "close_popups 10 times" in f["explanation"]


def test_a_streak_after_the_pages_is_a_loop_and_arguments_still_count() -> None:
    # The pages were fine, then the agent pressed Escape four times on the last one.
    calls = [c for url in PAGES for c in (_nav(url), POP)] + [POP] * 3
    assert "repeated_action" in detectors(run(*_run(calls)))
    # A call with arguments repeated between other calls is still a repeat: its arguments name its object.
    lookup = ("get_opening_hours", json.dumps({"museum": "Louvre"}), "Mon, Thu-Sun 9:00-18:00; Fri until 21:45")
    calls = [c for url in PAGES[:3] for c in (_nav(url), lookup)]
    assert "repeated_action" in detectors(run(*_run(calls)))
