"""A smolagents run streamed (``agent.run(task, stream=True)``) under the OpenInference instrumentation.

``_RunWrapper.wrapped_generator`` (Arize-ai/openinference openinference-instrumentation-smolagents
``_wrappers.py``) records the exception that ended the stream, then in its ``finally`` writes the
joined ``str()`` of every event the stream yielded as the run span's output and sets status OK. A
stream that finished ends with ``FinalAnswerStep(output=...)`` (huggingface/smolagents ``agents.py``
``_run_stream``); one that died has none: no answer reached the user, whatever the steps' reprs say
(forensics/detectors/facts.py ``read_smol_stream``).
"""

from __future__ import annotations

import polars as pl
from span_builder import detectors, findings, run, span

from forensics.detectors.facts import read_smol_stream

TASK = '{"task": "What is our RPO for the billing Postgres cluster?", "stream": true}'
STEPS = (
    "ToolCall(name='search_docs', arguments={'query': 'billing postgres RPO'}, id='call_s1')"
    "ActionStep(step_number=1, observations='[1] DR-014 Billing database DR targets'..., error=None)"
)
DIED = STEPS + "ActionStep(step_number=2, observations=None, error=AgentGenerationError)"
ANSWER = "The billing cluster has an RPO of 5 minutes (DR-014)."
FINISHED = (
    STEPS
    + "ActionStep(step_number=2, observations='done', error=None)"
    + f'FinalAnswerStep(output="{ANSWER}")'
)
E500 = "Error code: 500 - {'error': {'message': 'The server had an error while processing your request.'}}"


def _stream_run(output: str, *, last_step_failed: bool) -> object:
    status = "error" if last_step_failed else "ok"
    return run(
        span(
            "root",
            0,
            10,
            kind="agent",
            name="ToolCallingAgent.run",
            agent="ToolCallingAgent",
            input=TASK,
            output=output,
            status="ok",
            error_type="smolagents.utils.AgentGenerationError" if last_step_failed else None,
        ),  # fmt: skip
        span("s1", 1, 3, kind="chain", parent_id="root", name="Step 1", output="[1] DR-014"),
        span(
            "l1",
            1,
            2,
            kind="llm",
            parent_id="s1",
            name="OpenAIServerModel.generate",
            model="gpt-4o-mini",
            output='{"role": "assistant", "tool_calls": [{"function": {"name": "search_docs"}}]}',
        ),  # fmt: skip
        span(
            "t1",
            2,
            3,
            kind="tool",
            parent_id="s1",
            name="SimpleTool",
            tool="search_docs",
            input='{"query": "billing postgres RPO"}',
            output="[1] DR-014 Billing database DR targets",
        ),  # fmt: skip
        span(
            "s2",
            4,
            8,
            kind="chain",
            parent_id="root",
            name="Step 2",
            status=status,
            error_type="smolagents.utils.AgentGenerationError" if last_step_failed else None,
            output=None if last_step_failed else ANSWER,
        ),  # fmt: skip
        span(
            "l2",
            4,
            8,
            kind="llm",
            parent_id="s2",
            name="OpenAIServerModel.generate",
            model="gpt-4o-mini",
            status=status,
            error_type="openai.InternalServerError" if last_step_failed else None,
            error_message=E500 if last_step_failed else None,
            output=None if last_step_failed else ANSWER,
        ),  # fmt: skip
    )


def test_a_stream_that_died_reported_success_with_no_answer() -> None:
    c = _stream_run(DIED, last_step_failed=True)
    (row,) = findings(c, "swallowed_error")
    assert row["decisive_span_id"] == "l2"
    assert "undelivered_output" in detectors(c)


def test_near_miss_a_stream_that_answered_is_clean() -> None:
    assert detectors(_stream_run(FINISHED, last_step_failed=False)) == set()


def test_the_answer_is_the_final_answer_steps_output() -> None:
    out = pl.DataFrame(
        {"o": [FINISHED, DIED, "ActionStep(step_number=1)FinalAnswerStep(output='short')", ANSWER, None]}
    )
    got = out.select(read_smol_stream(pl.col("o"))).to_series().to_list()
    # Plain text (a non-streamed run's answer) is its own answer.
    assert got == [ANSWER, "", "short", ANSWER, None]
