"""redo_after_restart and a failed run that left no failed step to resume at (restart_points.py).

A smolagents CodeAgent whose model call fails raises ``AgentGenerationError`` out of ``agent.run``
(huggingface/smolagents src/smolagents/agents.py), its memory with it; a LangGraph graph that runs out
of steps raises ``GraphRecursionError``. Neither failed at a tool call, so there is no step a restart
could resume at: its re-reads are its own context. A restart of a run that failed at a tool call, or
one that does a side effect again, is still a redo.
"""

from __future__ import annotations

from span_builder import concat, detectors, one, span, spans

from forensics.classify import classify

SESSION = {"session_id": "hc-sess-41"}
Q = '{"query": "rotate the webhook signing secret"}'


def _run(run_id: str, start: float, *, fails: str | None, mails: bool = False):
    """An agent run of the session: search the docs (and, with ``mails``, e-mail the customer), then
    a model call; ``fails`` says what failed: ``"model"`` (the model call: a provider's connection
    error), ``"tool"`` (a ticket update), ``"limit"`` (the graph's recursion limit), or nothing."""
    root_err = {"status": "error", "error_type": "AgentGenerationError"} if fails else {"output": "Create a second secret."}
    if fails == "limit":
        root_err = {"status": "error", "error_type": "GraphRecursionError",
                    "error_message": "Recursion limit of 25 reached without hitting a stop condition."}  # fmt: skip
    rows = [
        span(f"{run_id}-root", start, start + 20, kind="agent", name="CodeAgent.run", input="How do I rotate the secret?",
             **SESSION, **root_err),  # fmt: skip
        span(f"{run_id}-s", start + 1, start + 2, parent_id=f"{run_id}-root", kind="tool", tool="search_docs", input=Q,
             output="[1] Webhooks > Signing secrets: two secrets stay valid during a rotation", **SESSION),  # fmt: skip
    ]
    if mails:
        rows.append(span(f"{run_id}-m", start + 3, start + 4, parent_id=f"{run_id}-root", kind="tool", tool="send_email",
                         input='{"to": "dana@northwind.example", "template": "secret-rotation"}',
                         output='{"message_id": "m-1"}', **SESSION))  # fmt: skip
    failed = {"status": "error", "error_type": "APIConnectionError"}
    rows.append(span(f"{run_id}-l", start + 5, start + 6, parent_id=f"{run_id}-root", kind="llm", model="azure/gpt-4o-mini",
                     **SESSION, **(failed if fails == "model" else {"output": "final_answer(...)"})))  # fmt: skip
    if fails == "tool":
        rows.append(span(f"{run_id}-t", start + 7, start + 8, parent_id=f"{run_id}-root", kind="tool", tool="update_ticket",
                         input='{"ticket_id": "T-9"}', status="error", error_type="503", **SESSION))  # fmt: skip
    return spans(*rows, run_id=run_id)


def _redo(first, second) -> set[str]:
    return {f for f in detectors(classify(concat(first, second)))}


def test_near_miss_a_restart_rereads_what_a_run_whose_model_failed_had_read() -> None:
    assert "redo_after_restart" not in _redo(_run("r1", 0, fails="model"), _run("r2", 60, fails=None))


def test_near_miss_a_restart_of_a_run_that_ran_out_of_steps() -> None:
    assert "redo_after_restart" not in _redo(_run("r1", 0, fails="limit"), _run("r2", 60, fails=None))


def test_fires_when_the_earlier_run_failed_at_a_tool_call() -> None:
    c = classify(concat(_run("r1", 0, fails="tool"), _run("r2", 60, fails=None)))
    f = one(c, "redo_after_restart")
    assert (f["run_id"], f["decisive_span_id"]) == ("r2", "r2-s")


def test_fires_on_a_side_effect_done_again_after_a_model_failure() -> None:
    c = classify(concat(_run("r1", 0, fails="model", mails=True), _run("r2", 60, fails=None, mails=True)))
    f = one(c, "redo_after_restart")
    assert f["decisive_span_id"] == "r2-m"
    assert "redid 1 step(s)" in f["explanation"]
