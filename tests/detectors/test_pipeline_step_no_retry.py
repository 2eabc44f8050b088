"""A pipeline's next step calling the same model with its own prompt is no retry of a failed call.

An app traced with MLflow (``@mlflow.trace`` on each step function, ``mlflow.openai.autolog()`` for
the client: mlflow/openai/autolog.py records each ``chat.completions.create`` as a ``Completions`` span
whose inputs are the request's kwargs, model and messages) runs its steps in turn: classify the intent,
route, draft the reply. When the intent call fails (429 ``insufficient_quota``) and its step catches it
and returns nothing, the drafting step's call is that step's own request (other messages, another
parent), not the intent request sent again: the intent failure had nothing after it and is where the
run's failure began (forensics.detectors.facts ``failure_followups``: ``same_request``). The same
messages sent again, from whatever caller, are a retry.
"""

from __future__ import annotations

import json

from span_builder import findings, one, run, span

QUOTA = (
    "openai.RateLimitError: Error code: 429 - {'error': {'message': 'You exceeded your current quota.', "
    "'type': 'insufficient_quota', 'code': 'insufficient_quota'}}"
)
ASK = "Why was my parcel held at customs for four days?"


def _request(system: str | None) -> str:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": ASK}]
    return json.dumps({"model": "gpt-4o-mini", "messages": messages})


def _pipeline(draft_system: str | None) -> list[dict[str, object]]:
    llm = {"kind": "llm", "model": "gpt-4o-mini", "name": "Completions", "status": "error",
           "error_type": "openai.RateLimitError", "error_message": QUOTA}  # fmt: skip
    return [
        span("root", 0, 10, kind="chain", name="handle_inbound_message", status="error",
             error_type="TypeError", error_message="TypeError: 'NoneType' object is not subscriptable"),
        span("intent", 1, 2, parent_id="root", kind="chain", name="classify_intent", output="null"),
        span("m1", 1.1, 1.9, parent_id="intent", input=_request("Classify the customer's intent."), **llm),
        span("route", 3, 3.5, parent_id="root", kind="tool", tool="route_ticket", name="route_ticket",
             input='{"intent": null}', output='{"queue": "general"}'),
        span("draft", 4, 6, parent_id="root", kind="chain", name="draft_reply", output="null"),
        span("m2", 4.1, 5.9, parent_id="draft", input=_request(draft_system), **llm),
        span("parse", 7, 8, parent_id="root", kind="chain", name="parse_reply", status="error",
             error_type="TypeError", error_message="TypeError: 'NoneType' object is not subscriptable"),
    ]


def test_the_failed_intent_call_is_decisive_when_the_next_step_asks_its_own_question() -> None:
    # The drafting step's call (other messages, another parent) is no retry of the intent call: that
    # failure had no retry, fallback or escalation after it. HEAD counted m2 as its retry and named m2.
    f = one(run(*_pipeline(None)), "unhandled_error")
    assert f["decisive_span_id"] == "m1"


def test_near_miss_the_same_messages_sent_again_from_another_step_are_a_retry() -> None:
    # The same request (same model and messages) sent again from the next step is the intent call
    # retried: m1 is never named as a failure left alone (as before the change).
    c = run(*_pipeline("Classify the customer's intent."))
    assert all(f["decisive_span_id"] != "m1" for f in findings(c))
