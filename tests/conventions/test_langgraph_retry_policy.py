"""A LangGraph node re-run by its ``RetryPolicy`` is one request attempted again.

langchain-ai/langgraph ``libs/langgraph/langgraph/pregel/_retry.py`` (``run_with_retry``): after a
retryable exception it sleeps ``initial_interval * backoff_factor ** (attempts - 1)`` (plus up to 1 s
when ``jitter``) and calls ``task.proc.invoke(task.input, config)`` again with the same config, so
each attempt is a new run of the node, named after it, under the same graph run, with the same
metadata (``langgraph/pregel/_algo.py`` ``prepare_single_task``: ``langgraph_node``,
``langgraph_step``, ``langgraph_checkpoint_ns`` = ``<node>:<task id>``). ``types.py RetryPolicy``:
``initial_interval=0.5, backoff_factor=2.0, jitter=True, max_attempts=3``.

The tracers export each run as a sibling span of the same name and input, with the exception
recorded: OpenInference (Arize-ai/openinference ``openinference-instrumentation-langchain``
``_tracer.py``: span named ``run.name``, parent the parent run's span, ``metadata`` the run's
metadata as a JSON string, an ``exception`` event and status ERROR from ``on_chain_error``),
LangSmith (``extra.metadata``). A policy of a constant 0.5 s (``backoff_factor=1, jitter=False``)
against a rate-limited API is a retry storm.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, findings, one, run, span

ERR = "HTTPStatusError: Client error '429 Too Many Requests' for url 'https://api.rates.example/v1/fx'"
NODE = "fetch_rates"


def _meta(task: str, step: int, fmt: str) -> str:
    meta = {"langgraph_step": step, "langgraph_node": NODE, "langgraph_triggers": [f"branch:to:{NODE}"],
            "langgraph_path": ["__pregel_pull", NODE], "langgraph_checkpoint_ns": f"{NODE}:{task}"}
    if fmt == "langsmith":
        return json.dumps({"run_type": "chain", "extra": {"metadata": meta}})
    return json.dumps({"openinference.span.kind": "CHAIN", "metadata": json.dumps(meta)})


def _graph(waits: list[float], *, tasks: list[str] | None = None, fmt: str = "openinference",
           last_ok: bool = False, steps: list[int] | None = None, inputs: list[str] | None = None) -> list[dict[str, Any]]:
    n = len(waits) + 1
    tasks = tasks or ["5b8e0c1a-7d2f-4e61-9a43-1f0c2d3b4e5f"] * n
    steps = steps or [1] * n
    rows = [span("graph", 0, 60, kind="chain", name="LangGraph", input='{"currency": "EUR"}',
                 status="ok" if last_ok else "error", error_message=None if last_ok else ERR)]
    t = 0.01
    for i in range(n):
        ok = last_ok and i == n - 1
        rows.append(span(f"n{i}", t, t + 0.12, parent_id="graph", kind="chain", name=NODE,
                         input=(inputs or ['{"currency": "EUR"}'] * n)[i], attributes=_meta(tasks[i], steps[i], fmt),
                         status="ok" if ok else "error", error_type=None if ok else "HTTPStatusError",
                         error_message=None if ok else ERR, output='{"rate": 1.08}' if ok else None))
        t += 0.12 + (waits[i] if i < len(waits) else 0)
    return rows


def test_a_node_re_run_at_a_constant_interval_is_a_retry_storm() -> None:
    for fmt in ("openinference", "langsmith"):
        f = one(run(*_graph([0.5] * 5, fmt=fmt)), "retry_storm")
        assert f["decisive_span_id"] == "n0", fmt
        assert "failed 6 time(s)" in f["explanation"], f["explanation"]


def test_two_retries_at_a_constant_interval_show_no_backoff() -> None:
    assert one(run(*_graph([0.5, 0.5])), "retry_storm")["decisive_span_id"] == "n0"


def test_near_miss_the_default_jittered_policy() -> None:
    # RetryPolicy(): 0.5 s + 0.81 s of jitter, then 1.0 s + 0.12 s: the jitter hides the doubling.
    assert "retry_storm" not in detectors(run(*_graph([1.31, 1.12])))
    assert "retry_storm" not in detectors(run(*_graph([1.31, 1.12], last_ok=True)))


def test_near_miss_the_default_policy_whose_jitter_drew_close_waits() -> None:
    # RetryPolicy(): 0.5 s + 0.78 s then 1.0 s + 0.33 s of jitter (0.05 s apart), or 0.5 s + 0.43 s
    # then 1.0 s + 0.0 s (0.07 s apart): one draw in ten of the default policy lands its two waits
    # within 0.1 s. Backoff all the same, whether the transient failure cleared or not.
    for waits in ([1.28, 1.33], [0.93, 1.0]):
        assert "retry_storm" not in detectors(run(*_graph(waits, last_ok=True))), waits
        assert "retry_storm" not in detectors(run(*_graph(waits))), waits


def test_near_miss_other_tasks_of_the_same_node() -> None:
    # The graph's own edges running the node again in later supersteps (a new task id each time),
    # and a Send fan-out (one task per item): other requests, not attempts.
    looped = _graph([0.5] * 5, tasks=[f"task-{i}" for i in range(6)], steps=list(range(1, 12, 2)))
    assert "retry_storm" not in detectors(run(*looped))
    fanned = _graph([0.5] * 5, tasks=[f"send-{i}" for i in range(6)], inputs=[f'{{"currency": "C{i}"}}' for i in range(6)])
    assert "retry_storm" not in detectors(run(*fanned))


def test_one_attempt_level_the_model_call_inside_the_node() -> None:
    # The node calls the model, which is refused each time: the model calls are the attempts (with
    # their Retry-After), the node's runs the same request. One storm, told on the model calls.
    rows = _graph([0.5] * 5)
    for i in range(6):
        start = rows[i + 1]["start_time"]
        rows.append(span(f"m{i}", 0.0, None, parent_id=f"n{i}", kind="llm", model="gpt-4o-mini", name="ChatOpenAI",
                         input='[{"role": "user", "content": "EUR rate"}]', status="error",
                         error_type="RateLimitError", error_message="Error code: 429 - Rate limit reached"))
        rows[-1]["start_time"] = start
        rows[-1]["end_time"] = rows[i + 1]["end_time"]
    storms = findings(run(*rows), "retry_storm")
    assert len(storms) == 1 and storms[0]["decisive_span_id"] == "m0", storms
