"""smolagents' bare AgentError on a ``Step N`` span was handed back to the model (exceptions.py
_SMOL_BARE_ERROR).

A final_answer check that fails raises ``AgentError("Check ... failed with error: ...")``
(src/smolagents/agents.py ``_validate_final_answer``); ``_run_stream`` catches every AgentError but
AgentGenerationError, stores it on the step and shows it to the model in the next step ("Other
AgentError types are caused by the Model, so we should log them and iterate")."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

SMOL = {"source_format": "otel-clickhouse", "agent": "CodeAgent.run"}
CHECK = "Check check_has_source failed with error: the answer cites no source URL"
ANSWER = "Up to EUR 20 million or 4% of total worldwide annual turnover, whichever is higher."


def _checked_answer(step_name: str, error_type: str = "smolagents.utils.AgentError"):
    """Step 1 answers without a source; the check rejects it (the step fails with a bare
    AgentError); step 2 answers again with the source and the run ends with it."""
    return run(
        span("r", 0, 20, kind="agent", name="CodeAgent.run", input=json.dumps({"task": "GDPR maximum fine?"}),
             output=ANSWER + " Source: https://gdpr-info.eu/art-83-gdpr/", **SMOL),
        span("s1", 1, 8, parent_id="r", kind="chain", name=step_name, status="error", error_type=error_type,
             error_message=CHECK, output=ANSWER, **SMOL),
        span("m1", 1.1, 5, parent_id="s1", kind="llm", name="OpenAIServerModel.generate",
             output=f'<code>final_answer("{ANSWER}")</code>', **SMOL),
        span("f1", 5.1, 5.2, parent_id="s1", kind="tool", name="FinalAnswerTool", tool="final_answer",
             output=ANSWER, **SMOL),
        span("s2", 9, 19, parent_id="r", kind="chain", name="Step 2", output=ANSWER, **SMOL),
        span("m2", 9.1, 15, parent_id="s2", kind="llm", name="OpenAIServerModel.generate",
             output="Thought: the check requires a source URL.", **SMOL),
        span("f2", 15.1, 15.2, parent_id="s2", kind="tool", name="FinalAnswerTool", tool="final_answer",
             output=ANSWER + " Source: https://gdpr-info.eu/art-83-gdpr/", **SMOL),
    )


def test_near_miss_a_step_whose_final_answer_check_failed_was_handed_back() -> None:
    assert "swallowed_error" not in detectors(_checked_answer("Step 1"))


def test_near_miss_the_unqualified_type_reads_alike() -> None:
    assert "swallowed_error" not in detectors(_checked_answer("Step 1", error_type="AgentError"))


def test_the_same_error_on_a_span_that_is_no_smolagents_step_is_swallowed() -> None:
    assert one(_checked_answer("validate_answer"), "swallowed_error")["decisive_span_id"] == "s1"


def test_another_framework_s_error_of_that_name_on_a_step_is_swallowed() -> None:
    assert one(_checked_answer("Step 1", error_type="acme.AgentError"), "swallowed_error")["decisive_span_id"] == "s1"
