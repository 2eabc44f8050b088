"""A needs_approval call resumed in the session's next run, the request read from the OpenTelemetry
GenAI conventions' output messages.

opentelemetry-instrumentation-openai-agents-v2 writes a model call's output as the GenAI
conventions' messages (``[{"role": "assistant", "parts": [{"type": "tool_call", "name", "arguments"}]}]``).
The OpenAI Agents SDK does not run a ``needs_approval`` call when the model asks for it: the run ends
interrupted, a person approves (``state.approve``) and ``Runner.run(agent, state)`` executes the
call first, before any model call of the resumed run (docs/human_in_the_loop.md).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

SESSION = "conv_repo_janitor_7"
ASKED = '{"repo": "acme/web", "branch": "feat/old-pay"}'


def _asked(args: str) -> str:
    return json.dumps([{"role": "assistant", "parts": [
        {"type": "tool_call", "id": "call_1", "name": "delete_branch", "arguments": args}]}])


def _session(ran_args: str) -> list[dict[str, object]]:
    first = dict(run_id="r0", session_id=SESSION)
    second = dict(run_id="r1", session_id=SESSION)
    return [
        span("a0", 0, 5, kind="agent", name="invoke_agent Repo Janitor", agent="Repo Janitor", **first),
        span("l0", 0.5, 1.5, parent_id="a0", kind="llm", model="gpt-4.1", agent="Repo Janitor",
             output=_asked(ASKED), **first),
        span("a1", 840, 850, kind="agent", name="invoke_agent Repo Janitor", agent="Repo Janitor", **second),
        span("t1", 840.5, 841, parent_id="a1", kind="tool", tool="delete_branch", agent="Repo Janitor",
             input=ran_args, output='{"deleted": true}', **second),
        span("l1", 842, 843, parent_id="a1", kind="llm", model="gpt-4.1", agent="Repo Janitor",
             output="Deleted feat/old-pay.", **second),
    ]


def test_the_resumed_run_executes_the_call_the_interrupted_run_asked_for() -> None:
    assert "unguarded_irreversible" not in detectors(run(*_session(ASKED)))


def test_near_miss_the_resumed_run_deletes_another_branch_than_the_one_asked_about() -> None:
    other = '{"repo": "acme/web", "branch": "main"}'
    f = one(run(*_session(other)), "unguarded_irreversible")
    assert f["decisive_span_id"] == "t1"
