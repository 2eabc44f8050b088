"""An orchestrator that calls one sub-agent with the same request over and over runs up its cost.

OpenAI Agents SDK ``Agent.as_tool`` (openai/openai-agents-python ``src/agents/agent.py``) runs the
sub-agent as a nested ``Runner.run`` inside a function tool: the trace holds a ``function`` span
(the tool's name, its input ``{"input": ...}``) with the sub-agent's ``agent`` span and model calls
under it (``src/agents/tracing/create.py`` ``function_span``, ``agent_span``). Each call is a whole
sub-agent run. The orchestrator here asks its research tool about one company again and again
(reworded in case and order, the same words), 64 times, 7.1M tokens: runaway_cost, with no budget
set and no fleet to compare with. A wide research run asking 64 different companies is healthy.
"""

from __future__ import annotations

import dataclasses
import json

from span_builder import detectors, one, run, span

from forensics.policy import load_policy

ASKS = ("Find Contoso's 2023 revenue and its sources", "find contoso's 2023 revenue and its sources.",
        "Contoso 2023 revenue: find its sources and", "FIND CONTOSO'S REVENUE 2023 AND ITS SOURCES")


def _orchestrator(requests: list[str], per_turn: int = 4):
    """The orchestrator's model decides ``per_turn`` research calls per turn (sent side by side),
    each a sub-agent run of ~110k tokens."""
    rows = [span("root", 0, 10_000, kind="agent", name="orchestrator", agent="orchestrator", output="Report ready.")]
    t = 1.0
    for i, ask in enumerate(requests):
        if i % per_turn == 0:
            rows.append(span(f"p{i}", t, t + 1, parent_id="root", kind="llm", model="gpt-4.1", agent="orchestrator",
                             input_tokens=3_000, output_tokens=200, output="call research"))
            t += 1.5
        rows.append(span(f"f{i}", t, t + 20, parent_id="root", kind="tool", tool="research", agent="orchestrator",
                         input=json.dumps({"input": ask}), output=f"Findings {i}"))
        rows.append(span(f"a{i}", t + 0.01, t + 19.9, parent_id=f"f{i}", kind="agent", name="research_agent",
                         agent="research_agent", output=f"Findings {i}"))
        rows.append(span(f"m{i}", t + 1, t + 19, parent_id=f"a{i}", kind="llm", model="gpt-4.1", agent="research_agent",
                         input_tokens=100_000, output_tokens=10_000, output=f"Findings {i}"))
        if i % per_turn == per_turn - 1:
            t += 21
    return rows


def test_the_same_request_to_one_sub_agent_64_times_fires() -> None:
    f = one(run(*_orchestrator([ASKS[i % 4] for i in range(64)])), "repeated_sub_agent_calls")
    assert f["decisive_span_id"] == "a0"
    assert len(f["evidence_span_ids"]) == 64
    assert "orchestrator called sub-agent research_agent 64 time(s)" in f["explanation"]


def test_near_miss_a_wide_research_run_of_64_different_requests() -> None:
    c = run(*_orchestrator([f"Find {name}'s 2023 revenue and its sources" for name in
                            [f"Company{i:02d}" for i in range(64)]]))
    assert "repeated_sub_agent_calls" not in detectors(c)


def test_near_miss_the_same_question_sampled_side_by_side_or_asked_again_a_few_times() -> None:
    # Eight samples of one question in one batch (a vote): one decision, not a loop.
    assert "repeated_sub_agent_calls" not in detectors(run(*_orchestrator([ASKS[0]] * 8, per_turn=8)))
    # Asked again three times in turn (repeat_count, 3, is the most that is no loop).
    assert "repeated_sub_agent_calls" not in detectors(run(*_orchestrator([ASKS[0]] * 3, per_turn=1)))


def test_a_policy_limit_on_calls_of_one_sub_agent() -> None:
    pol = load_policy()
    limited = dataclasses.replace(pol, declared={**pol.declared, "max_sub_agent_calls": 40})
    wide = _orchestrator([f"Find Company{i:02d}'s 2023 revenue" for i in range(64)])
    f = one(run(*wide, policy=limited), "repeated_sub_agent_calls")
    assert "64 time(s)" in f["explanation"] and "budgets.max_sub_agent_calls" in f["explanation"]
    at_limit = _orchestrator([f"Find Company{i:02d}'s 2023 revenue" for i in range(40)])
    assert "repeated_sub_agent_calls" not in detectors(run(*at_limit, policy=limited))


def _sdk_export(requests: list[str], tmp_path) -> set[str]:  # type: ignore[no-untyped-def]
    """The same orchestrator as the SDK's trace processor exports it: an ``agent`` span, a
    ``generation`` per turn, a ``function`` span per as_tool call with the nested ``agent`` span
    and its ``generation`` under it (four calls decided per turn)."""
    from agents_sdk_trace import sdk_span

    import forensics

    trace = "trace_5f6e7d8c9b0a1f2e3d4c5b6a79881726"

    def gen(sid: str, parent: str, start: float, tokens: int) -> dict:
        data = {"type": "generation", "input": [{"role": "user", "content": "go"}], "output": [], "model": "gpt-4.1",
                "model_config": {}, "usage": {"input_tokens": tokens, "output_tokens": 500}}
        return sdk_span(trace, sid, parent, start, start + 0.1, data)

    spans = [sdk_span(trace, "a1", None, 0, 59, {"type": "agent", "name": "Orchestrator", "handoffs": [],
                                                 "tools": ["research"], "output_type": "str"})]
    t = 0.1
    for i, ask in enumerate(requests):
        if i % 4 == 0:
            spans.append(gen(f"g{i}", "a1", t, 3_000))
            t += 0.15
        spans.append(sdk_span(trace, f"f{i}", "a1", t, t + 0.5, {"type": "function", "name": "research",
                                                                "input": json.dumps({"input": ask}),
                                                                "output": f"Findings {i}", "mcp_data": None}))
        spans.append(sdk_span(trace, f"s{i}", f"f{i}", t + 0.01, t + 0.49, {"type": "agent", "name": "Researcher",
                                                                           "handoffs": [], "tools": ["web_search"],
                                                                           "output_type": "str"}))
        spans.append(gen(f"r{i}", f"s{i}", t + 0.05, 110_000))
        if i % 4 == 3:
            t += 0.55
    path = tmp_path / "orchestrator.json"
    path.write_text(json.dumps({"traces": [{"object": "trace", "id": trace, "workflow_name": "Research",
                                            "group_id": None, "metadata": None}], "spans": spans}))
    c = forensics.classify(forensics.load(path).spans)
    return detectors(c)


def test_the_sdk_export_of_the_same_request_64_times(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert "repeated_sub_agent_calls" in _sdk_export([ASKS[i % 4] for i in range(64)], tmp_path)
    wide = [f"Find Company{i:02d}'s 2023 revenue and its sources" for i in range(64)]
    assert "repeated_sub_agent_calls" not in _sdk_export(wide, tmp_path)


def _poller(wait_tool: str | None) -> list[dict[str, object]]:
    """A release agent asks its CI sub-agent the same status question four times; with a wait tool
    (an Agents SDK function tool ``wait``) of two minutes between the calls, the reports moving from
    2 of 7 jobs to all 7: polling a run that was still going, the healthy way to wait on CI."""
    ask = "Check whether CI run 4821 on payments-api has finished and report its result."
    reports = ["Running: 2 of 7 jobs done.", "Running: 4 of 7 jobs done.", "Running: 6 of 7 jobs done.",
               "Finished: all 7 jobs passed."]
    rows = [span("root", 0, 2000, kind="agent", name="release", agent="release",
                 output="CI run 4821 passed; payments-api is ready to ship.")]
    t = 1.0
    for i, rep in enumerate(reports):
        rows.append(span(f"p{i}", t, t + 1, parent_id="root", kind="llm", model="gpt-4.1", agent="release",
                         output="call ci_status"))
        t += 1.5
        rows.append(span(f"f{i}", t, t + 10, parent_id="root", kind="tool", tool="ci_status", agent="release",
                         input=json.dumps({"input": ask}), output=rep))
        rows.append(span(f"a{i}", t + 0.01, t + 9.9, parent_id=f"f{i}", kind="agent", name="ci_agent",
                         agent="ci_agent", output=rep))
        rows.append(span(f"m{i}", t + 1, t + 9, parent_id=f"a{i}", kind="llm", model="gpt-4.1", agent="ci_agent",
                         output=rep))
        t += 11
        if i < 3 and wait_tool:
            rows.append(span(f"w{i}", t, t + 120, parent_id="root", kind="tool", tool=wait_tool, agent="release",
                             input=json.dumps({"seconds": 120}), output="waited 120 s"))
            t += 121
    return rows


def test_near_miss_polling_a_sub_agent_with_a_wait_between_calls() -> None:
    assert "repeated_sub_agent_calls" not in detectors(run(*_poller("wait")))
    assert "repeated_sub_agent_calls" not in detectors(run(*_poller("time.sleep")))


def test_the_same_four_asks_with_no_wait_between_them_fire() -> None:
    f = one(run(*_poller(None)), "repeated_sub_agent_calls")
    assert "release called sub-agent ci_agent 4 time(s)" in f["explanation"]
