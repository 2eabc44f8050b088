"""A later call of the same model from another pipeline step is that step's own request, not a retry.

An application traced with MLflow (``@mlflow.trace`` names each function's span after the function,
mlflow/tracing/fluent.py ``trace``; OpenAI autolog names the model call's span after the client
resource class, ``Completions``, mlflow/openai/_openai_autolog.py) classifies a message, routes it,
then drafts a reply, each step calling the same model with its own prompt. The intent step caught
the model's ``RateLimitError`` (insufficient_quota) and returned no intent; the draft step's call
later failed the same way and the run then crashed on the missing reply. The draft call is no
retry of the intent call (the intent step that could resend it had returned): the intent call's
failure went unhandled, and it is where the run was lost. Near misses: the intent step sends the
same request again itself and it answers (a retry that recovered); a step that failed (did not
return) and the same model called again by the next step of the same agent loop stays a retry.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from span_builder import detectors, one, run, span, spans

from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.policy import resolve_policy

_MODEL = "gpt-4o-mini-2024-07-18"
_QUOTA = {"status": "error", "error_type": "openai.RateLimitError",
          "error_message": "Error code: 429 - {'error': {'code': 'insufficient_quota'}}"}


def _call(sid: str, t: float, parent: str, prompt: str, *, fails: bool) -> dict[str, Any]:
    msgs = f'{{"model": "{_MODEL}", "messages": [{{"role": "system", "content": "{prompt}"}}]}}'
    return span(sid, t, t + 0.3, parent_id=parent, kind="llm", name="Completions", model=_MODEL, input=msgs,
                **(_QUOTA if fails else {"output": "billing_roaming"}))


def _pipeline(*, intent_retry: bool = False) -> list[dict[str, Any]]:
    intent = [_call("i1", 1, "intent", "Classify the customer's intent.", fails=True)]
    if intent_retry:
        intent.append(_call("i2", 2, "intent", "Classify the customer's intent.", fails=False))
    crashed = not intent_retry
    return [
        span("root", 0, 9, kind="chain", name="handle_inbound_message", input='{"ticket_id": "T-1"}',
             **({"status": "error", "error_type": "TypeError"} if crashed else {"output": '{"sent": true}'})),
        span("intent", 0.5, 3, parent_id="root", kind="chain", name="classify_intent",
             output="billing_roaming" if intent_retry else None),
        *intent,
        span("route", 3.5, 3.8, parent_id="root", kind="tool", name="route_ticket", tool="route_ticket",
             input='{"ticket_id": "T-1"}', output='{"queue": "billing"}'),
        span("draft", 4, 6, parent_id="root", kind="chain", name="draft_reply"),
        _call("d1", 4.2, "draft", "Write a short SMS reply.", fails=crashed),
        *([span("parse", 6.5, 6.6, parent_id="root", kind="chain", name="parse_reply", status="error",
                error_type="TypeError", error_message="'NoneType' object is not subscriptable")] if crashed else []),
    ]  # fmt: skip


def _handled(rows: list[dict[str, Any]]) -> dict[str, str | None]:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return {d["span_id"]: d["handled_by"] for d in failure_handling(ctx).to_dicts()}


def test_the_same_model_called_by_the_next_step_is_no_retry_of_the_caught_failure() -> None:
    rows = _pipeline()
    assert _handled(rows)["i1"] is None
    c = run(*rows)
    assert "unhandled_error" in detectors(c)
    assert one(c, "unhandled_error")["decisive_span_id"] == "i1"


def test_near_miss_the_intent_step_resent_its_request_and_it_answered() -> None:
    rows = _pipeline(intent_retry=True)
    assert _handled(rows)["i1"] == "retry"
    assert not detectors(run(*rows)) & {"unhandled_error", "swallowed_error"}


def test_near_miss_a_step_that_failed_and_the_next_step_of_the_loop() -> None:
    # An agent loop's step that ended in error (did not return normally): the same model called
    # in the next step is the loop asking again, a retry as before.
    rows = [
        span("run", 0, 9, kind="agent", name="ToolCallingAgent.run", output="Paris"),
        span("s1", 0.5, 2, parent_id="run", kind="chain", name="Step 1", status="error",
             error_type="AgentGenerationError"),
        _call("m1", 1, "s1", "You are an expert assistant.", fails=True),
        span("s2", 2.5, 4, parent_id="run", kind="chain", name="Step 2"),
        _call("m2", 3, "s2", "You are an expert assistant.", fails=False),
    ]
    assert _handled(rows)["m1"] == "retry"
