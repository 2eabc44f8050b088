"""A smolagents CodeAgent's claim of an e-mail it never sent (issue 16, item 1).

A CodeAgent calls its tools from the code it writes; the OpenInference instrumentation traces each
``Tool.__call__`` as a TOOL span, ``final_answer(...)`` included, and ``FinalAnswerTool.forward``
returns its ``answer``: the final answer's own tool span holds the claim as its result. That result
is the answer, not a read of the act done elsewhere (a status lookup relaying "sent"). The tools the
agent was given are on its run span (``smolagents.tools_names``), called or not.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from span_builder import detectors, run, span

from forensics.classify import classify
from forensics.load import load

DEV = Path(__file__).parents[1] / "data" / "incidents" / "smolagents_dev"


def findings(name: str) -> pl.DataFrame:
    return classify(load(DEV / f"{name}.json")).to_polars()[0]


def test_an_email_the_code_never_sent_is_claimed_but_not_done() -> None:
    f = findings("smol_email_claim_never_sent")
    assert f.get_column("detector").to_list() == ["claimed_but_not_done"]
    # Decisive: the model call that wrote final_answer("I've sent Dana Lee ...") (step 3).
    assert f.get_column("decisive_span_id").to_list() == ["e8b3793b8cd9c61d"]
    assert "I've sent Dana Lee the Q3 shipping summary" in f.get_column("explanation").item()
    assert "no tool call for sending a message succeeded" in f.get_column("explanation").item()


def test_an_email_sent_by_the_code_is_backed() -> None:
    f = findings("smol_email_sent")
    assert f.height == 0


def test_a_send_that_raised_in_the_code_then_a_printed_confirmation_is_the_swallowed_error() -> None:
    # The claim about the failed, ignored send is that ignored error, told once (silent_failure.py).
    f = findings("smol_email_send_raised_then_printed")
    assert set(f.get_column("failure_class").to_list()) == {"silent_failure"}
    swallowed = f.filter(pl.col("detector") == "swallowed_error")
    assert swallowed.get_column("decisive_span_id").to_list() == ["f98079e739b207c6"]
    assert "claimed_but_not_done" not in f.get_column("detector").to_list()


def _answered(answer: str, tool_output: str, tools: str = '["archive_thread", "final_answer"]'):
    attrs = json.dumps({"smolagents.tools_names": json.loads(tools)}) if tools else "{}"
    return run(
        span("root", 0, 9, kind="agent", name="CodeAgent.run", attributes=attrs,
             input="Archive the thread from the vendor.", output=answer),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output=f'final_answer("{answer}")'),
        span("fa", 2, parent_id="root", kind="tool", tool="final_answer", input=json.dumps({"kwargs": {"answer": answer}}),
             output=tool_output),
    )  # fmt: skip


def test_the_final_answer_tools_own_result_backs_no_claim() -> None:
    answer = "I've sent the vendor the signed contract."
    assert "claimed_but_not_done" in detectors(_answered(answer, answer))


def test_a_tool_result_other_than_the_answer_still_states_the_act() -> None:
    # A lookup's result saying the message went out backs the claim (relayed, not made).
    answer = "I've sent the vendor the signed contract."
    c = run(
        span("root", 0, 9, kind="agent", name="CodeAgent.run", input="Did the contract go out?", output=answer),
        span("t", 1, parent_id="root", kind="tool", tool="get_outbox", input='{"id": 7}',
             output="Status: we have sent the signed contract on 2 April."),
        span("fa", 2, parent_id="root", kind="tool", tool="final_answer", input="{}", output=answer),
    )  # fmt: skip
    assert "claimed_but_not_done" not in detectors(c)


@pytest.mark.parametrize("as_text", [False, True], ids=["list", "json-text"])
def test_a_tool_the_agent_was_given_and_never_called_is_an_offered_act(as_text: bool) -> None:
    # "archived" is no policy claim: only the agent's tool list (smolagents.tools_names) names the act.
    tools = '["archive_thread", "final_answer"]'
    answer = "I've archived the thread from the vendor."
    if as_text:  # the ClickHouse exporter's Map(String, String) writes the list as JSON text
        c = run(
            span("root", 0, 9, kind="agent", name="CodeAgent.run",
                 attributes=json.dumps({"smolagents.tools_names": tools}), input="Archive it.", output=answer),
            span("fa", 2, parent_id="root", kind="tool", tool="final_answer", input="{}", output=answer),
        )  # fmt: skip
    else:
        c = _answered(answer, answer, tools)
    assert "claimed_but_not_done" in detectors(c)


def test_an_archive_the_agent_had_no_tool_for_is_no_offered_act() -> None:
    answer = "I've archived the thread from the vendor."
    assert "claimed_but_not_done" not in detectors(_answered(answer, answer, tools=""))


def _headline(answer: str, tools: list[str], lookup: str | None = None):
    rows = [
        span("root", 0, 9, kind="agent", name="CodeAgent.run", attributes=json.dumps({"smolagents.tools_names": tools}),
             input="Email Dana the Q3 summary.", output=answer),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o", output=f'final_answer("{answer}")'),
    ]  # fmt: skip
    if lookup is not None:
        rows.append(span("t", 1.5, parent_id="root", kind="tool", tool="get_email_status", input='{"id": 7}', output=lookup))
    rows.append(span("fa", 2, parent_id="root", kind="tool", tool="final_answer", input="{}", output=answer))
    return run(*rows)


def test_a_headline_claim_of_an_offered_send_never_called() -> None:
    # print("Email sent to ...") then final_answer("Email sent to ..."): no first person, no call.
    c = _headline("Email sent to Dana Lee with the Q3 summary.", ["send_email", "final_answer"])
    assert "claimed_but_not_done" in detectors(c)


def test_near_miss_a_headline_a_lookup_relayed() -> None:
    c = _headline("Email sent to Dana Lee on 1 April.", ["send_email", "get_email_status", "final_answer"],
                  lookup='{"status": "Email sent to Dana Lee on 1 April"}')  # fmt: skip
    assert "claimed_but_not_done" not in detectors(c)


def test_near_miss_an_offered_read_tool_claims_no_act() -> None:
    c = _headline("Emails searched: none from Dana.", ["search_emails", "final_answer"])
    assert "claimed_but_not_done" not in detectors(c)


def test_near_miss_a_lookups_result_passed_on_word_for_word_is_relayed() -> None:
    # The answer is the status tool's own result: read, not made (only final_answer's echo is no read).
    answer = "We have sent the signed contract to the vendor."
    c = run(
        span("root", 0, 9, kind="agent", name="CodeAgent.run", input="Did the contract go out?", output=answer),
        span("t", 1, parent_id="root", kind="tool", tool="get_outbox", input='{"id": 7}', output=answer),
        span("fa", 2, parent_id="root", kind="tool", tool="final_answer", input="{}", output=answer),
    )  # fmt: skip
    assert "claimed_but_not_done" not in detectors(c)
