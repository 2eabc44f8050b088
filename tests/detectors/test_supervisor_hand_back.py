"""repeated_action and langgraph-supervisor's hand-back: each time a worker agent finishes, the
supervisor graph appends an AI message calling ``transfer_back_to_<supervisor>`` (no arguments) and
its tool message "Successfully transferred back to <supervisor>" (langgraph_supervisor/handoff.py,
``create_handoff_back_messages``). A supervisor that sends one worker three questions leaves three
identical hand-backs: the framework returning control, not the worker repeating itself."""

from __future__ import annotations

from span_builder import detectors, findings, run, span

_BACK = "Successfully transferred back to supervisor"


def _supervised(queries: list[str], result: str | None = None):
    """A supervisor graph delegating each query to research_expert, who searches once and is
    handed back; ``result`` fixes every search's result (else each query gets its own)."""
    rows = [span("g", 0, 100, kind="chain", name="LangGraph", output="Combined headcount: 1,234,567.")]
    t = 1.0
    for i, q in enumerate(queries):
        rows += [
            span(f"s{i}", t, t + 1, parent_id="g", kind="agent", name="supervisor"),
            span(f"sl{i}", t + 0.1, t + 0.5, parent_id=f"s{i}", kind="llm", model="gpt-4o", output="delegate"),
            span(f"st{i}", t + 0.6, t + 0.7, parent_id=f"s{i}", kind="tool", tool="transfer_to_research_expert",
                 input="{}", output="Successfully transferred to research_expert"),
            span(f"r{i}", t + 1, t + 5, parent_id="g", kind="agent", name="research_expert"),
            span(f"rl{i}", t + 1.1, t + 1.5, parent_id=f"r{i}", kind="llm", model="gpt-4o", output="search"),
            span(f"rt{i}", t + 2, t + 3, parent_id=f"r{i}", kind="tool", tool="web_search", input=f'{{"q": "{q}"}}',
                 output=result or f"{q}: 164,000"),
            span(f"rb{i}", t + 4, t + 4.2, parent_id=f"r{i}", kind="tool", tool="transfer_back_to_supervisor",
                 input="{}", output=_BACK),
        ]  # fmt: skip
        t += 6
    rows += [
        span("f", t, t + 1, parent_id="g", kind="agent", name="supervisor"),
        span("fl", t + 0.1, t + 0.5, parent_id="f", kind="llm", model="gpt-4o", output="Combined headcount: 1,234,567."),
    ]
    return run(*rows)


def test_repeated_action_near_miss_three_hand_backs_after_three_delegations() -> None:
    c = _supervised(["Apple headcount 2024", "Google headcount 2024", "Meta headcount 2024"])
    assert "repeated_action" not in detectors(c)


def test_repeated_action_fires_on_the_worker_repeating_its_own_search() -> None:
    # The same search three times with the same result: the worker's loop, found beside the hand-backs.
    c = _supervised(["FAANG headcount 2024"] * 3, result="no results")
    (f,) = findings(c, "repeated_action")
    assert "web_search 3 times" in f["explanation"]
    assert f["decisive_span_id"] == "rt1"
