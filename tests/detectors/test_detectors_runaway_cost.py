"""runaway_cost detectors on small inline tables: one that fires, one near-miss each."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
from span_builder import concat, detectors, findings, one, run, run_row, span, spans

from forensics.classify import classify
from forensics.policy import Policy, load_policy


def _budgeted(tokens: int = 200_000, usd: float = 10.0) -> Policy:
    """The shipped policy with per-run budgets set, as a team that has budgets writes it."""
    return dataclasses.replace(load_policy(), max_tokens_per_run=tokens, max_cost_usd_per_run=usd)


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
        policy=_budgeted(),
    )
    f = one(c, "budget_exceeded")
    assert f["failure_class"] == "runaway_cost"
    assert f["strength"] == "strong"  # the policy states the budget
    assert f["decisive_span_id"] == "a3"  # 80k + 80k + 80k: the third call crossed 200k
    assert (
        "the run used 240000 tokens against a budget of 200000 (set by the policy), crossing it at llm "
        "gpt-4.1 at 02:13:03" in f["explanation"]
    )
    row = run_row(c)
    assert row["input_tokens"] == 237_000
    assert row["output_tokens"] == 3_000


def test_budget_exceeded_fires_on_cost() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="coder", output="Fixed."),
        _llm("a1", 1, 1_000, cost=6.0),
        _llm("a2", 2, 1_000, cost=6.5),
        policy=_budgeted(),
    )
    f = one(c, "budget_exceeded")
    assert f["decisive_span_id"] == "a2"
    assert "$12.5 against a budget of $10.0" in f["explanation"]


def test_budget_exceeded_near_miss_under_budget() -> None:
    c = run(
        span("root", 0, 10, kind="agent", name="coder", output="Fixed."),
        _llm("a1", 1, 79_000),
        _llm("a2", 2, 79_000),
        policy=_budgeted(),
    )
    assert "budget_exceeded" not in detectors(c)
    assert run_row(c)["ok"]


def _coder_run(run_id: str, tokens: list[int], agent: str = "coder", task: str | None = None):
    return spans(
        span("root", 0, 10, kind="agent", name=agent, input=task, output="Fixed."),
        *[_llm(f"a{i}", i + 1, t) for i, t in enumerate(tokens)],
        run_id=run_id,
    )


def test_the_shipped_policy_sets_no_fixed_budget() -> None:
    # 1.2M tokens in a run alone in its classification: no policy budget, no fleet to compare with.
    c = run(span("root", 0, 10, kind="agent", name="coder", output="Fixed."),
            *[_llm(f"a{i}", i + 1, 199_000) for i in range(6)])  # fmt: skip
    assert "budget_exceeded" not in detectors(c)


def test_fleet_budget_fires_past_k_times_the_median_of_comparable_runs() -> None:
    # Two other coder runs spent 11k and 21k tokens (with 1k output per call): the third spends
    # 80k per call. Median of the others 16k x 5 = 80k, below the 100k floor: the budget is 100k,
    # crossed by its second call.
    c = classify(concat(_coder_run("small", [10_000]), _coder_run("mid", [20_000]),
                        _coder_run("burn", [79_000, 79_000, 79_000])))  # fmt: skip
    (f,) = findings(c, "budget_exceeded")
    assert f["run_id"] == "burn" and f["decisive_span_id"] == "a1"
    assert f["strength"] == "weak"  # inferred from other runs, not a stated budget
    assert (
        "the run used 240000 tokens against a budget of 100000 (5.0x the median of 2 comparable run(s) of "
        "agent coder (16000 tokens))" in f["explanation"]
    )


def test_fleet_budget_prefers_runs_given_the_same_task() -> None:
    # The same task three times: a run is judged against the other two, not the agent's other work.
    t = "Fix the flaky test"
    c = classify(concat(_coder_run("t1", [40_000], task=t), _coder_run("t2", [40_000], task=t),
                        _coder_run("t3", [120_000, 120_000], task=t),
                        _coder_run("o1", [2_000, 1_000]), _coder_run("o2", [2_000])))  # fmt: skip
    (f,) = findings(c, "budget_exceeded")
    assert f["run_id"] == "t3" and "2 comparable run(s) given the same task (41000 tokens)" in f["explanation"]


def test_fleet_budget_near_misses_too_few_comparable_runs_and_the_floor() -> None:
    # One other coder run is not a fleet (fleet_min_runs = 2).
    c = classify(concat(_coder_run("small", [10_000]), _coder_run("burn", [79_000, 79_000, 79_000])))
    assert "budget_exceeded" not in detectors(c)
    # Ten times the others, yet under the 100k floor: small runs are not runaway cost.
    c = classify(concat(_coder_run("a", [5_000]), _coder_run("b", [5_000]), _coder_run("c", [89_000])))
    assert "budget_exceeded" not in detectors(c)
    # Other agents' runs are not comparable.
    c = classify(concat(_coder_run("a", [5_000], agent="writer"), _coder_run("b", [5_000], agent="writer"),
                        _coder_run("c", [300_000])))  # fmt: skip
    assert "budget_exceeded" not in detectors(c)
    # A placeholder agent name is no fleet: every Claude Code session's main thread is the loader's
    # 'claude-code' and every chat transcript's reply is 'assistant', whatever the task.
    for name, fmt in (("claude-code", "claude-code"), ("assistant", "test"), ("Agent", "test")):
        fleet = concat(_coder_run("small", [10_000], agent=name), _coder_run("mid", [20_000], agent=name),
                       _coder_run("burn", [79_000, 79_000, 79_000], agent=name))  # fmt: skip
        at = fleet.schema.get_field_index("source_format")
        fleet = fleet.set_column(at, fleet.schema.field(at), pa.array([fmt] * fleet.num_rows, pa.string()))
        assert "budget_exceeded" not in detectors(classify(fleet)), name
    # fleet_factor = 0 turns fleet budgets off.
    off = dataclasses.replace(load_policy(), fleet_factor=0.0)
    c = classify(concat(_coder_run("small", [10_000]), _coder_run("mid", [20_000]),
                        _coder_run("burn", [79_000, 79_000, 79_000])), policy=off)  # fmt: skip
    assert "budget_exceeded" not in detectors(c)


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
    # The sixth nested agent (ag5) is the first past 5; but researcher and fact_checker take turns,
    # each started again inside a run of itself: decisive is ag1, which started researcher (ag2)
    # inside researcher's own run (ag0), closing the loop (recursion.py).
    assert f["decisive_span_id"] == "ag1"
    assert f["evidence_span_ids"] == ["ag1", "ag5", "ag6", "ag7"]
    assert (
        "agents nested 8 deep against a limit of 5; the first past the limit was fact_checker at 02:13:05, "
        "a loop between agents: researcher was started again inside its own run at 02:13:02"
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


def test_fan_out_counts_sub_agents_called_as_tools_of_one_agent() -> None:
    """any-agent / OTel GenAI: a sub-agent called as a tool is an ``invoke_agent`` span under the
    lead's ``execute_tool`` span, one tool span each: the lead (their agent run) fanned out, even
    though no one span is the parent of them all."""
    rows = [
        span("lead", 0, 60, kind="agent", name="diligence_lead", output="Summary."),
        span("plan", 1, 2, parent_id="lead", kind="llm", model="gpt-4.1", output="ask 12 analysts"),
    ]
    for i in range(12):
        rows.append(span(f"t{i}", 3 + i * 0.1, 50, parent_id="lead", kind="tool", name="ask_analyst"))
        rows.append(span(f"a{i}", 3.01 + i * 0.1, 49, parent_id=f"t{i}", kind="agent", name="analyst", output="ok"))
    f = one(run(*rows), "fan_out")
    assert f["decisive_span_id"] == "plan"
    assert "agent diligence_lead started 12 sub-agents against a limit of 8" in f["explanation"]


def test_fan_out_near_miss_graph_nodes_routed_in_turn() -> None:
    """A LangGraph supervisor graph: eleven node spans (the supervisor's turns and the workers it
    routed to, one after another) under the graph's root chain, which no agent runs: no one
    started them in one step, the router chose each in turn."""
    rows = [span("graph", 0, 100, kind="chain", name="LangGraph", output="memo saved")]
    for i in range(11):
        rows.append(span(f"n{i}", 1 + i * 8, 8 + i * 8, parent_id="graph", kind="agent", name=f"node{i % 3}"))
        rows.append(span(f"m{i}", 2 + i * 8, 3 + i * 8, parent_id=f"n{i}", kind="llm", model="gpt-4o", output="next"))
    c = run(*rows)
    assert "fan_out" not in detectors(c)


def test_fan_out_near_miss_one_decision_per_sub_agent() -> None:
    """The lead asks its model again before each sub-agent (it decided ten times, one delegation
    each): ten delegations, no fan-out in one step (each is a step of its own)."""
    rows = [span("lead", 0, 60, kind="agent", name="support_lead", output="Yes.")]
    for i in range(10):
        rows.append(span(f"p{i}", 1 + i * 5, 2 + i * 5, parent_id="lead", kind="llm", model="gpt-4o", output="next"))
        rows.append(span(f"kb{i}", 3 + i * 5, 4 + i * 5, parent_id="lead", kind="agent", name="kb_agent", output="x"))
    assert "fan_out" not in detectors(run(*rows))


def _stopped(error_type: str | None, message: str):
    """An agent whose model call (through a proxy) fails with ``message``; the error travels up."""
    return run(
        span("root", 0, 10, kind="agent", name="market_scan", status="error", error_message=message),
        _llm("a1", 1, 2_000),
        span("a2", 2, 2.5, parent_id="root", kind="llm", model="gpt-4o", status="error",
             error_type=error_type, error_message=message),
    )  # fmt: skip


def test_budget_exceeded_fires_when_the_log_says_a_given_limit_stopped_the_run() -> None:
    # LiteLLM proxy's max_budget (litellm/proxy/auth/auth_checks.py raises BudgetExceededError).
    c = _stopped("BadRequestError", "Budget has been exceeded! Current cost: 25.0412, Max budget: 25.0")
    (f,) = findings(c, "budget_exceeded")
    assert f["decisive_span_id"] == "a2"  # where it was raised, not the agent it travelled up to
    assert f["strength"] == "strong"
    assert "the run was stopped by its spend budget: llm gpt-4o failed with BadRequestError at 02:13:02" in (
        f["explanation"]
    )
    # smolagents' step limit.
    c = _stopped("AgentMaxStepsError", "Reached max steps.")
    assert "stopped by its turn or step limit" in one(c, "budget_exceeded")["explanation"]


def test_budget_exceeded_near_miss_another_error_is_not_a_limit() -> None:
    c = _stopped("BadRequestError", "Invalid API key provided")
    assert "budget_exceeded" not in detectors(c)


def test_a_fleet_classified_in_parts_is_judged_against_the_whole_fleet() -> None:
    import polars as pl

    from forensics.detectors.runaway_cost import fleet_facts

    small, mid, burn = _coder_run("small", [10_000]), _coder_run("mid", [20_000]), _coder_run("burn", [79_000] * 3)
    whole = classify(concat(small, mid, burn))
    # The burning run alone in its part (a dataset bucket, a Spark partition) has no fleet of its
    # own; given the whole fleet's facts it is judged as in one pass.
    alone = classify(burn)
    assert "budget_exceeded" not in detectors(alone)
    fleet = fleet_facts(pl.DataFrame(pl.from_arrow(concat(small, mid, burn))))
    assert fleet.sort("run_id").rows() == [
        ("burn", None, "coder", 240_000, None), ("mid", None, "coder", 21_000, None), ("small", None, "coder", 11_000, None)
    ]  # fmt: skip
    part = classify(burn, fleet=fleet)
    assert findings(part, "budget_exceeded") == findings(whole, "budget_exceeded")


# --- a limit the whole graph raised: the run's decisive span is the loop inside it ----------------

RECURSION = {
    "status": "error",
    "error_type": "GraphRecursionError",
    # langgraph/errors.py GraphRecursionError, raised by Pregel's loop (the graph run, the root).
    "error_message": "Recursion limit of 6 reached without hitting a stop condition.",
}


def _graph(*inside: dict[str, object]) -> list[dict[str, object]]:
    return [span("root", 0, 20, kind="chain", name="LangGraph", **RECURSION), *inside]


def test_a_limit_that_stopped_a_loop_is_the_loop_s_story_told_once() -> None:
    # The agent looked the same PO up four times until the graph's recursion limit stopped it: the
    # steps went to the loop, and the limit is no evidence of its own (one story, told once, as for
    # handoff_ping_pong). The run is decided at the loop's first repeat.
    lookups = [
        span(f"t{i}", 1 + 3 * i, parent_id="root", kind="tool", tool="po.status", input='{"po": "PO-7"}',
             output='{"status": "pending"}')
        for i in range(4)
    ]
    c = run(*_graph(*lookups))
    assert "repeated_action" in detectors(c)
    assert "budget_exceeded" not in detectors(c)
    assert run_row(c)["decisive_span_id"] == "t1"
    assert set(run_row(c)["classes"]) == {"context_collapse"}


def test_a_turn_limit_after_a_failing_call_retried_is_the_retries_story() -> None:
    # OpenAI Agents SDK: the Runner raises MaxTurnsExceeded (src/agents/run.py) and records
    # SpanError("Max turns exceeded") on the agent span; the turns went to one failing call sent
    # again and again with no backoff (retry_storm), so the limit does not tell the story again.
    calls = [
        span(f"q{i}", 1 + 2 * i, 1.5 + 2 * i, parent_id="root", kind="tool", tool="graph_query",
             input='{"cypher": "MATCH (n:Person RETURN n"}', status="error", error_type="CypherSyntaxError",
             error_message="Invalid input 'RETURN': expected ')'")
        for i in range(6)
    ]  # fmt: skip
    c = run(
        span("root", 0, 20, kind="agent", name="Graph Query Agent", status="error",
             error_type="MaxTurnsExceeded", error_message="Max turns exceeded"),
        *calls,
    )  # fmt: skip
    assert "retry_storm" in detectors(c)
    assert "budget_exceeded" not in detectors(c)


def test_near_miss_a_spend_budget_that_stopped_a_loop_stays() -> None:
    # LiteLLM's max_budget (BudgetExceededError) limits the cost itself: reached during a loop, it is
    # still the spend the owner capped, so budget_exceeded reports it beside the loop.
    lookups = [
        span(f"t{i}", 1 + 3 * i, parent_id="root", kind="tool", tool="po.status", input='{"po": "PO-7"}',
             output='{"status": "pending"}')
        for i in range(4)
    ]  # fmt: skip
    c = run(
        span("root", 0, 20, kind="agent", name="po_agent", status="error",
             error_message="Budget has been exceeded! Current cost: 25.0412, Max budget: 25.0"),
        *lookups,
        span("a9", 14, 15, parent_id="root", kind="llm", model="gpt-4o", status="error", error_type="BadRequestError",
             error_message="Budget has been exceeded! Current cost: 25.0412, Max budget: 25.0"),
    )  # fmt: skip
    assert {"budget_exceeded", "repeated_action"} <= detectors(c)
    assert one(c, "budget_exceeded")["decisive_span_id"] == "a9"


def test_near_miss_a_limit_raised_by_the_root_alone_keeps_the_root() -> None:
    # Different lookups each time: no loop found, so the limit stop is the run's only story.
    lookups = [
        span(f"t{i}", 1 + 3 * i, parent_id="root", kind="tool", tool="po.status", input=f'{{"po": "PO-{i}"}}',
             output='{"status": "pending"}')
        for i in range(4)
    ]
    c = run(*_graph(*lookups))
    assert detectors(c) == {"budget_exceeded"}
    assert run_row(c)["decisive_span_id"] == "root"


def test_fleet_budget_by_agent_needs_the_run_past_the_others_spread() -> None:
    # GAIA-style research runs of one agent answer different questions: eight runs from 19k to 245k
    # tokens (heavy-tailed, as a blind smolagents set's CodeAgent runs were). A healthy 380k run is
    # 10x their median, but inside their own spread: the far-out fence on their logs (Q3 + 3 IQR)
    # is ~500k tokens. Not a runaway.
    tail = [19_000, 25_000, 28_000, 32_000, 41_000, 47_000, 97_000, 245_000]
    fleet = [_coder_run(f"r{i}", [t - 1_000]) for i, t in enumerate(tail)]
    c = classify(concat(*fleet, _coder_run("long", [190_000, 189_000])))
    assert "budget_exceeded" not in detectors(c)
    # The same run among a tight fleet of that agent (30k-40k: the fence, ~51k, is under 5x the
    # median, 170k, which stays the budget) stands out: fires.
    tight = [_coder_run(f"t{i}", [t - 1_000]) for i, t in enumerate([30_000, 32_000, 34_000, 36_000, 40_000])]
    (f,) = findings(classify(concat(*tight, _coder_run("long", [190_000, 189_000]))), "budget_exceeded")
    assert f["run_id"] == "long" and f["decisive_span_id"] == "a0"
    assert "against a budget of 170000 (5.0x the median of 5 comparable run(s) of agent coder (34000 tokens))" in (
        f["explanation"]
    )
    # fleet_spread_k = 0 turns the spread test off: the heavy-tailed fleet then flags its own tail.
    off = dataclasses.replace(load_policy(), declared={**load_policy().declared, "fleet_spread_k": 0.0})
    flagged = findings(classify(concat(*fleet, _coder_run("long", [190_000, 189_000])), policy=off), "budget_exceeded")
    assert {f["run_id"] for f in flagged} == {"long", "r7"}


def test_fleet_budget_by_agent_is_raised_to_the_fence_of_a_spread_fleet() -> None:
    # Six runs from 20k to 80k: 5x their median (40k) is 200k, their fence (~483k) is higher; a
    # 900k run is past both and the budget it is judged by says so.
    fleet = [_coder_run(f"r{i}", [t - 1_000]) for i, t in enumerate([20_000, 25_000, 35_000, 45_000, 60_000, 80_000])]
    (f,) = findings(classify(concat(*fleet, _coder_run("burn", [449_000, 449_000]))), "budget_exceeded")
    assert f["run_id"] == "burn"
    assert (
        "against a budget of 483337 (5.0x the median of 6 comparable run(s) of agent coder (40000 tokens), raised to "
        "the far edge of their spread (Tukey's fence))" in f["explanation"]
    )
    # Runs given the same task are compared as they are, with no spread test (test_fleet_budget_prefers_runs_given_the_same_task).


# A LiteLLM proxy budget belongs to a virtual key, user, team or end customer and is spent across
# every call made with it (LiteLLM docs, proxy/budgets.md); BudgetExceededError says so.
_KEY_SPENT = "Error code: 400 - {'error': {'message': 'Budget has been exceeded! Current cost: 25.0043, Max budget: 25.0', 'type': 'budget_exceeded'}}"


def _chunks(*, root_status: str = "ok", after: bool = True):
    """A translator: chunk 1 translated, chunk 2's model call refused by the proxy's budget, the
    tool returning the error text as its result; with ``after``, chunk 3 tried next (refused too)
    and the document assembled."""
    rows = [
        span("root", 0, 20, kind="agent", name="translator", status=root_status,
             output="Translation complete: 3/3 chunks" if root_status == "ok" else None),
        span("c1", 1, 3, parent_id="root", kind="tool", tool="translate_chunk", input='{"i": 1}', output="Bonjour"),
        _llm("l1", 1.5, 1_900, parent="c1"),
        span("c2", 4, 6, parent_id="root", kind="tool", tool="translate_chunk", input='{"i": 2}', output=_KEY_SPENT),
        span("l2", 4.5, 5, parent_id="c2", kind="llm", model="gpt-4o-mini", status="error",
             error_type="BadRequestError", error_message=_KEY_SPENT),
    ]  # fmt: skip
    if after:
        rows += [
            span("c3", 7, 9, parent_id="root", kind="tool", tool="translate_chunk", input='{"i": 3}', output=_KEY_SPENT),
            span("l3", 7.5, 8, parent_id="c3", kind="llm", model="gpt-4o-mini", status="error",
                 error_type="BadRequestError", error_message=_KEY_SPENT),
            span("as", 10, 11, parent_id="root", kind="chain", name="assemble_document", output="doc.md"),
        ]  # fmt: skip
    return run(*rows)


def test_budget_exceeded_fires_when_the_budget_refusal_ended_the_run() -> None:
    # Nothing was called after the refusal: the budget stopped the run.
    (f,) = findings(_chunks(after=False), "budget_exceeded")
    assert f["decisive_span_id"] == "l2"
    assert "stopped by its spend budget" in f["explanation"]
    # The caller went on after it, but the run then reported failure: still the budget's stop.
    (f,) = findings(_chunks(root_status="error"), "budget_exceeded")
    assert f["decisive_span_id"] == "l2"


def test_budget_exceeded_near_miss_a_key_budget_refusal_the_run_went_past() -> None:
    # The caller caught the refusal, called on (chunk 3) and reported success: the key's budget did
    # not stop this run (its own spend was two small calls); the hidden error is another story.
    assert "budget_exceeded" not in detectors(_chunks())
