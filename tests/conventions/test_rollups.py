"""Usage rolled up onto enclosing spans is counted once (forensics.conventions.rollups)."""

from __future__ import annotations

import polars as pl
from span_builder import concat, run, run_row, span, spans

from forensics.classify import classify
from forensics.detectors.runaway_cost import fleet_facts


def _smolagents_run(run_id: str, per_call: int) -> list[dict]:
    # OpenInference smolagents: the <Agent>.run span carries the monitor's totals, and each
    # <Model>.__call__ span under it its own counts.
    return [
        span("root", 0, 30, kind="agent", name="CodeAgent.run", input_tokens=3 * per_call, output_tokens=30),
        span("s1", 1, 10, parent_id="root", kind="chain", name="Step 1"),
        span("m1", 2, 9, parent_id="s1", kind="llm", name="LiteLLMModel.__call__", input_tokens=per_call, output_tokens=10),
        span("m2", 11, 19, parent_id="root", kind="llm", name="LiteLLMModel.__call__", input_tokens=per_call, output_tokens=10),
        span("m3", 21, 29, parent_id="root", kind="llm", name="LiteLLMModel.__call__", input_tokens=per_call, output_tokens=10),
    ]


def test_agent_totals_over_model_calls_are_not_counted_twice() -> None:
    c = run(*_smolagents_run("r1", 1000))
    row = run_row(c)
    assert row["input_tokens"] == 3000  # the three calls, not 6000 with the agent's total
    assert row["output_tokens"] == 30
    facts = fleet_facts(pl.from_arrow(spans(*_smolagents_run("r1", 1000))))
    assert facts["tokens"].to_list() == [3030]


def test_near_miss_totals_only_on_the_agent_span_are_kept() -> None:
    # Nothing per call: the container's figure is the only one, and it counts.
    c = run(
        span("root", 0, 30, kind="agent", name="planner", input_tokens=5000, output_tokens=400),
        span("t1", 1, 5, parent_id="root", kind="tool", tool="search"),
    )
    assert run_row(c)["input_tokens"] == 5000
    assert run_row(c)["output_tokens"] == 400


def test_near_miss_a_run_without_calls_keeps_its_totals_beside_one_that_has_them() -> None:
    # The rule is per run: another run's per-call figures do not drop this run's agent total.
    table = concat(
        spans(*_smolagents_run("a", 100), run_id="a"),
        spans(span("root", 0, 9, kind="agent", name="planner", input_tokens=700, output_tokens=7), run_id="b"),
    )
    runs = pl.from_arrow(classify(table).runs).sort("run_id")
    assert runs["input_tokens"].to_list() == [300, 700]


def _otlp_span(sid: str, parent: str | None, name: str, start: int, **attrs: object) -> dict:
    def value(v: object) -> dict:
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": str(v)}

    return {"traceId": "7ace0000000000000000000000000001", "spanId": f"{sid:0>16}", "parentSpanId": f"{parent:0>16}" if parent else "",
            "name": name, "kind": 1, "startTimeUnixNano": f"17000000{start:02d}000000000",
            "endTimeUnixNano": f"17000000{start + 1:02d}000000000", "status": {"code": 1},
            "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()]}


def test_one_model_call_recorded_by_two_instrumentations_is_counted_once(tmp_path) -> None:
    """OpenInference's LangChain instrumentation puts the LLM run's llm_output.token_usage on its
    ChatOpenAI span (_tracer.py _token_counts), and openinference-instrumentation-openai the same
    response's usage on the ChatCompletion span the client call opens under it: one call, counted
    once (on the innermost request). Near miss: the chain's two calls side by side both count."""
    import json

    import forensics

    def llm(sid: str, parent: str, name: str, start: int, prompt: int, completion: int) -> dict:
        return _otlp_span(sid, parent, name, start, **{"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
                                                        "llm.token_count.prompt": prompt,
                                                        "llm.token_count.completion": completion})

    chain = _otlp_span("c1", None, "RunnableSequence", 0, **{"openinference.span.kind": "CHAIN"})
    request = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [
        {"scope": {"name": "openinference.instrumentation.langchain"},
         "spans": [chain, llm("l1", "c1", "ChatOpenAI", 1, 1200, 80), llm("l2", "c1", "ChatOpenAI", 3, 1500, 60)]},
        {"scope": {"name": "openinference.instrumentation.openai"},
         "spans": [llm("o1", "l1", "ChatCompletion", 1, 1200, 80), llm("o2", "l2", "ChatCompletion", 3, 1500, 60)]},
    ]}]}
    path = tmp_path / "langchain_openai.otlp.json"
    path.write_text(json.dumps(request))
    row = pl.from_arrow(forensics.classify(forensics.load(path).spans).runs).row(0, named=True)
    assert (row["input_tokens"], row["output_tokens"]) == (2700, 140)  # not 5400 and 280
