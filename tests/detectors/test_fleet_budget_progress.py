"""A fleet of the same agent on other tasks is no measure of what this task needed.

TAXONOMY.md: runaway cost is cost out of proportion to the task. Runs of one configured agent
(here a smolagents-style research agent: ``web_search`` and ``visit_webpage``, src/smolagents/
default_tools.py) on unrelated questions tell what the agent usually spends, not what a hard
question takes: a 103k-token run against a fleet median of 8k is healthy when every step was a new
search or page and it ended with its answer. It is a runaway when it loops (the same call again
and again) or never finishes.

Progress is read from each model call's request as well as its answer (a smolagents step sends the
memory so far: ``MultiStepAgent.write_memory_to_messages``, src/smolagents/agents.py, so each
step's request is the last one plus what the last step found). Passes that send one request again,
each answered differently (a re-read of one corpus), are no progress; nor can a log that recorded
no request show any.
"""

from __future__ import annotations

from span_builder import concat, findings, span, spans

from forensics.classify import classify

AGENT = "research_agent"


def _step(
    run: str, i: int, t: float, tokens: int, query: str, request: str | None
) -> list[dict[str, object]]:
    """One step: the model call (its own thought, asked with the memory so far) and the search it decided."""
    return [
        span(f"{run}-l{i}", t, t + 1, parent_id="root", kind="llm", model="gpt-4o", agent=AGENT,
             input_tokens=tokens, output_tokens=500, output=f"Thought: next I look up {query}", input=request),
        span(f"{run}-t{i}", t + 1.1, t + 2, parent_id="root", kind="tool", tool="web_search", agent=AGENT,
             input=f'{{"query": "{query}"}}', output=f"1. [{query} - overview](https://example.org/{i})"),
    ]  # fmt: skip


def _run(run: str, queries: list[str], tokens: int, *, answer: str | None = "The answer is 42.",
         open_root: bool = False, requests: str = "memory"):  # fmt: skip
    task = f"Question {run}: {queries[0]}?"
    rows = [span("root", 0, None if open_root else 100, kind="agent", name=AGENT, agent=AGENT,
                 input=task, output=answer)]  # fmt: skip
    for i, q in enumerate(queries):
        # "memory": the task and every earlier step's search; "same": one request each time; "none": not recorded.
        request = {"memory": f"{task} Searched so far: {queries[:i]}", "same": task, "none": None}[requests]
        rows += _step(run, i, 2 + 3 * i, tokens, q, request)
    return spans(*rows, run_id=run)


def _fleet():
    # 13 runs of the same agent on unrelated questions, ~8k tokens each.
    return [_run(f"f{i:02d}", [f"topic {i} fact", f"topic {i} source"], 3_500) for i in range(13)]


LONG = [f"1931 census table {k}" for k in ("county", "parish", "ward", "district", "borough", "township",
                                            "hundred", "riding")]  # fmt: skip


def _budget(*runs) -> list[str]:
    return [f["run_id"] for f in findings(classify(concat(*_fleet(), *runs)), "budget_exceeded")]


def test_near_miss_a_long_run_whose_every_step_made_progress() -> None:
    # 8 steps of 12.5k tokens (103k): every search new, no error, an answer at the end.
    assert _budget(_run("long", LONG, 12_400)) == []


def test_a_long_run_that_loops_fires() -> None:
    # The same search three times in a row (same query, same result): the spend went into a loop.
    looping = LONG[:5] + [LONG[4]] * 3
    assert _budget(_run("loop", looping, 12_400)) == ["loop"]


def test_a_long_run_that_never_finished_fires() -> None:
    assert _budget(_run("open", LONG, 12_400, answer=None, open_root=True)) == ["open"]


def test_passes_that_send_one_request_again_fire() -> None:
    # Eight calls asked the same thing (the search results differ): a re-read, not progress.
    assert _budget(_run("reread", LONG, 12_400, requests="same")) == ["reread"]


def test_a_run_whose_model_calls_recorded_no_request_is_judged_as_before() -> None:
    # Without the requests nothing tells a new step from a re-read: the fleet ratio stands.
    assert _budget(_run("blind", LONG, 12_400, requests="none")) == ["blind"]
