"""runaway_cost detectors on small inline tables: one that fires, one near-miss each."""

from __future__ import annotations

from span_builder import detectors, one, run, run_row, span


def _llm(sid: str, start: float, tokens: int, parent: str = "root", cost: float | None = None):
    return span(
        sid,
        start,
        start + 0.5,
        parent_id=parent,
        kind="llm",
        model="gpt-4.1",
        input_tokens=tokens,
        output_tokens=1000,
        cost_usd=cost,
        output="attempt",
    )


def test_budget_exceeded_fires_at_the_span_that_crossed_the_budget() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="coder", output="Fixed."),
        _llm("a1", 1, 79_000),
        _llm("a2", 2, 79_000),
        _llm("a3", 3, 79_000),
    )
    f = one(c, "budget_exceeded")
    assert f["failure_class"] == "runaway_cost"
    assert f["decisive_span_id"] == "a3"  # 80k + 80k + 80k: the third call crossed 200k
    assert (
        "the run used 240000 tokens against a budget of 200000, crossing it at llm gpt-4.1 at 02:13:03"
        in f["explanation"]
    )
    row = run_row(c)
    assert row["input_tokens"] == 237_000
    assert row["output_tokens"] == 3_000


def test_budget_exceeded_fires_on_cost() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="coder", output="Fixed."),
        _llm("a1", 1, 1_000, cost=6.0),
        _llm("a2", 2, 1_000, cost=6.5),
    )
    f = one(c, "budget_exceeded")
    assert f["decisive_span_id"] == "a2"
    assert "$12.5 against a budget of $10.0" in f["explanation"]


def test_budget_exceeded_near_miss_under_budget() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="coder", output="Fixed."),
        _llm("a1", 1, 79_000),
        _llm("a2", 2, 79_000),
    )
    assert "budget_exceeded" not in detectors(c)
    assert run_row(c)["ok"]


def _nested(depth: int):
    rows = []
    parent = None
    for i in range(depth):
        sid = f"ag{i}"
        rows.append(
            span(
                sid,
                i,
                100 - i,
                parent_id=parent,
                kind="agent",
                name=["researcher", "fact_checker"][i % 2],
                output="done" if i == 0 else None,
            )
        )
        parent = sid
    rows.append(
        span("w", depth + 1, parent_id=parent, kind="tool", tool="notes.write", input="{}", output="{}")
    )
    return run(*rows)


def test_delegation_depth_fires_past_the_limit() -> None:
    c = _nested(8)
    f = one(c, "delegation_depth")
    assert f["decisive_span_id"] == "ag5"  # the sixth nested agent is the first past 5
    assert f["evidence_span_ids"] == ["ag5", "ag6", "ag7"]
    assert (
        "agents nested 8 deep against a limit of 5; the first past the limit was fact_checker at 02:13:05"
        in f["explanation"]
    )


def test_delegation_depth_near_miss_at_the_limit_and_flat_conversations() -> None:
    assert "delegation_depth" not in detectors(_nested(5))
    # A flat conversation chains each message to the previous one; a parent that had already
    # ended when the next message started delegated nothing.
    rows = [span("m0", 0, 1, kind="agent", name="a", output="plan")]
    rows += [
        span(f"m{i}", i, i + 1, parent_id=f"m{i - 1}", kind="agent", name="ab"[i % 2], output="x")
        for i in range(1, 9)
    ]
    c = run(*rows)
    assert "delegation_depth" not in detectors(c)


def _fan(n: int):
    rows = [
        span("lead", 0, 60, kind="agent", name="support_lead", output="Yes."),
        span("plan", 1, 2, parent_id="lead", kind="llm", model="gpt-4o-mini", output=f'{{"agents": {n}}}'),
    ]
    rows += [
        span(f"kb{i}", 3 + i, 4 + i, parent_id="lead", kind="agent", name="kb_agent", output="no match")
        for i in range(n)
    ]
    return run(*rows)


def test_fan_out_fires_and_blames_the_plan() -> None:
    c = _fan(10)
    f = one(c, "fan_out")
    assert f["decisive_span_id"] == "plan"
    assert f["evidence_span_ids"][0] == "plan"
    assert len(f["evidence_span_ids"]) == 11
    assert (
        "agent support_lead started 10 sub-agents against a limit of 8; sub-agent 9 started at 02:13:11"
        in f["explanation"]
    )


def test_fan_out_near_miss_at_the_limit() -> None:
    c = _fan(8)
    assert "fan_out" not in detectors(c)
    assert run_row(c)["ok"]
