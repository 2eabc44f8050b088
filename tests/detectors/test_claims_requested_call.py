"""A tool call the model asked for that never ran, and the act then said done with its subject left out.

A resumed LangGraph run whose reviewer rejected ``deploy_service`` holds the model's request (an
OpenAI ``tool_calls`` entry in the conversation) and the rejection as a tool message, but no
deploy_service run; the model answered "Deployed payments-api v2.14.0 to prod." Agents report their
own acts with the subject left out, the past form opening the sentence: for a verb of a tool the
run's model called or asked for, and no call of which succeeded, that is a claim of the act.
Near misses: the call ran and succeeded; the tool was only offered to the model (a tool list), not
asked for; the participle is the adjective of the sentence's subject ("Deployed version remains
v2.13.2"); the verb is not at a sentence's start.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

REQUEST = json.dumps(
    [
        {"role": "user", "content": "ship payments-api v2.14.0 to prod"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function", "function": {
            "name": "deploy_service", "arguments": "{\"service\": \"payments-api\", \"env\": \"prod\"}"}}]},
        {"role": "tool", "content": "Action deploy_service was rejected by r.nakamura: change freeze", "tool_call_id": "c1"},
    ]
)  # fmt: skip


def _resumed(answer: str, *calls: dict[str, object], request: str = REQUEST) -> object:
    return run(
        span("root", 0, 10, kind="chain", name="LangGraph", input='{"resume": {"decision": "reject"}}', output=answer),
        span("gate", 0.5, 1, parent_id="root", kind="chain", name="approval_gate",
             output='{"approved": false, "reason": "change freeze"}'),  # fmt: skip
        *calls,
        span("l1", 3, 4, parent_id="root", kind="llm", model="gpt-4o", input=request,
             output=json.dumps({"role": "assistant", "content": answer})),  # fmt: skip
        span("post", 5, 6, parent_id="root", kind="tool", tool="slack_post_message",
             input=json.dumps({"channel": "C05", "text": answer}), output='{"ok": true}'),  # fmt: skip
    )


ANSWER = "Deployed payments-api v2.14.0 to prod. Rollout is progressing; I'll post here if error rates move."


def test_an_asked_for_call_that_never_ran_said_done_is_claimed() -> None:
    c = _resumed(ANSWER)
    f = one(c, "claimed_but_not_done")
    assert f["decisive_span_id"] == "l1" and "deploy_service" in f["explanation"]


def test_near_miss_the_asked_for_call_ran() -> None:
    ran = span("d1", 1.5, 2.5, parent_id="root", kind="tool", tool="deploy_service",
               input='{"service": "payments-api", "env": "prod"}', output='{"status": "rolling_out"}')  # fmt: skip
    assert "claimed_but_not_done" not in detectors(_resumed(ANSWER, ran))


def test_near_miss_a_tool_only_offered_is_no_sentence_start_claim() -> None:
    # The definition sits beside an earlier request of another tool (a tool_calls entry).
    offered = json.dumps({"tools": [{"type": "function", "function": {"name": "deploy_service", "parameters": {}}}],
                          "messages": [{"role": "user", "content": "which versions are live?"},
                                       {"role": "assistant", "content": "", "tool_calls": [{"id": "c0", "type": "function",
                                        "function": {"name": "list_versions", "arguments": "{}"}}]}]})  # fmt: skip
    assert "claimed_but_not_done" not in detectors(_resumed(ANSWER, request=offered))


def test_near_miss_the_participle_as_the_subjects_adjective() -> None:
    # "Deployed version remains ...": the participle opens the sentence as its subject's adjective.
    for answer in (
        "The reviewer rejected the deploy. Deployed version remains v2.13.2 until the freeze ends.",
        "Deployed builds are frozen until 09:00 UTC, so v2.14.0 is not live.",
    ):
        assert "claimed_but_not_done" not in detectors(_resumed(answer)), answer


def test_near_miss_the_verb_not_opening_a_sentence() -> None:
    answer = "The reviewer rejected it, so nothing was deployed. Last deployed version is v2.13.2."
    assert "claimed_but_not_done" not in detectors(_resumed(answer))


def _handoff_turn(target: str, status: str = "ok") -> object:
    # The OpenAI Agents SDK: the model asks for transfer_to_returns_agent, the SDK logs the handoff
    # as a handoff span (src/agents/handoffs.py names the tool transfer_to_<agent in snake case>).
    asked = json.dumps([{"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                        "function": {"name": "transfer_to_returns_agent", "arguments": "{}"}}]}])  # fmt: skip
    return run(
        span("a1", 0, 3, kind="agent", name="Triage Agent", agent="Triage Agent"),
        span("l1", 0.5, 1, parent_id="a1", kind="llm", model="gpt-4o", agent="Triage Agent", output=asked),
        span("h1", 1.1, 1.2, parent_id="a1", kind="handoff", agent="Triage Agent", handoff_to=target, status=status),
        span("a2", 4, 8, kind="agent", name=target, agent=target),
        span("l2", 5, 6, parent_id="a2", kind="llm", model="gpt-4o", agent=target,
             output=json.dumps([{"role": "assistant", "content": "Transferred your case to the returns desk; a label is on its way."}])),  # fmt: skip
    )


def test_near_miss_an_asked_for_transfer_the_sdk_handed_off() -> None:
    assert "claimed_but_not_done" not in detectors(_handoff_turn("Returns Agent"))


def test_an_asked_for_transfer_that_went_to_another_agent_is_claimed() -> None:
    # Firing: the handoff that happened went to another agent; the returns transfer never did.
    assert "claimed_but_not_done" in detectors(_handoff_turn("Billing Agent"))


def _langchain_request() -> str:
    # A LangSmith run's model output: langchain-core's dumpd AIMessage, its tool_calls as LangChain's
    # ToolCall ({"name", "args", "id", "type"}) and, in additional_kwargs, the OpenAI SDK's dump with
    # the arguments first ({"arguments": ..., "name": ...}).
    return json.dumps({"generations": [[{"message": {"lc": 1, "type": "constructor",
        "id": ["langchain", "schema", "messages", "AIMessage"], "kwargs": {"content": "", "type": "ai",
        "tool_calls": [{"name": "deploy_service", "args": {"service": "payments-api"}, "id": "c1", "type": "tool_call"}],
        "additional_kwargs": {"tool_calls": [{"id": "c1", "type": "function", "function": {
            "arguments": "{\"service\": \"payments-api\", \"name\": \"release\"}", "name": "deploy_service"}}]}}}}]]})  # fmt: skip


def test_a_langchain_tool_call_that_never_ran_said_done_is_claimed() -> None:
    c = run(
        span("root", 0, 10, kind="chain", name="LangGraph", input="ship payments-api", output=ANSWER),
        span("l0", 1, 2, parent_id="root", kind="llm", model="gpt-4o", output=_langchain_request()),
        span("gate", 2.5, 3, parent_id="root", kind="chain", name="approval_gate", output='{"approved": false}'),
        span("l1", 3, 4, parent_id="root", kind="llm", model="gpt-4o", output=json.dumps({"role": "assistant", "content": ANSWER})),
    )  # fmt: skip
    f = one(c, "claimed_but_not_done")
    assert "deploy_service" in f["explanation"]


def test_near_miss_a_name_inside_the_arguments_is_no_request() -> None:
    import polars as pl

    from forensics.detectors.claim_pronouns import _REQUESTED

    names = (
        pl.DataFrame({"t": [_langchain_request()]})
        .select(pl.col("t").str.extract_all(_REQUESTED).alias("m"))
        .explode("m")
        .select(pl.coalesce(*[pl.col("m").str.extract(_REQUESTED, i) for i in range(1, 5)]).alias("name"))
    )
    assert set(names["name"]) == {"deploy_service"}


def test_near_miss_the_asked_for_tool_ran_as_a_span_of_another_kind() -> None:
    # A Langfuse v2 LangChain trace keeps a tool's run as a span observation named for the tool
    # (kind chain): it ran, and the act is done.
    c = run(
        span("root", 0, 10, kind="chain", name="LangGraph", input="ship payments-api", output=ANSWER),
        span("l0", 1, 2, parent_id="root", kind="llm", model="gpt-4o", output=_langchain_request()),
        span("d1", 2.5, 3, parent_id="root", kind="chain", name="deploy_service", output='{"status": "rolling_out"}'),
        span("l1", 3, 4, parent_id="root", kind="llm", model="gpt-4o", output=json.dumps({"role": "assistant", "content": ANSWER})),
    )  # fmt: skip
    assert "claimed_but_not_done" not in detectors(c)
