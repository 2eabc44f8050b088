"""A hand-rolled retry loop whose every 429 answer differs only by its response id is still one
failing request resent: a retry storm.

HubSpot answers a rate-limited call with a JSON body carrying a fresh ``correlationId`` (a UUID) on
every response ("You have reached your ten_secondly_rolling limit.", errorType RATE_LIMIT,
policyName TEN_SECONDLY_ROLLING: HubSpot API docs, "Error handling" / rate limits). A worker that
resent the same batch every second, 8 times, ignoring ``Retry-After: 10``, read as polling a moving
state because no two answers were byte-equal. Near misses: answers that really change (a job's
progress), and the same loop issued by the agent's model after each failure where no answer stated a
wait (its own repeat, repeated_action's). The model's loop that resent before every stated
``Retry-After`` is a storm whoever decided the resends (missing_fallback.py, ``ignored_all``;
tests/detectors/test_retry_after_ignored_storm.py).
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

BATCH = json.dumps({"inputs": 40, "properties": ["industry", "icp_score"]})


def _body(i: int, message: str = "You have reached your ten_secondly_rolling limit.") -> str:
    return json.dumps({"status": "error", "message": message, "errorType": "RATE_LIMIT",
                       "correlationId": f"8c1f{i}e2a-0d4b-4f0c-9b6e-3285f34bf0{i:02d}", "policyName": "TEN_SECONDLY_ROLLING"})


def _worker(outputs: list[str], decided: bool = False, said: str = "429 Too Many Requests (Retry-After: 10)") -> list[dict]:
    rows = [span("root", 0, 30, kind="agent", agent="enricher", name="lead_enrichment", input="sync batch 01:30",
                 output=json.dumps({"status": "failed", "written": 0}))]
    t = 1.0
    for i, out in enumerate(outputs):
        if decided:
            rows.append(span(f"l{i}", t, t + 0.2, kind="llm", model="gpt-4o", parent_id="root", agent="enricher",
                             output=json.dumps({"tool_calls": [{"name": "hubspot.batch_update_contacts"}]})))
        rows.append(span(f"t{i}", t + 0.3, t + 0.4, kind="tool", tool="hubspot.batch_update_contacts", parent_id="root",
                         agent="enricher", input=BATCH, output=out, status="error",
                         error_message=said))
        t += 1.4
    return rows


def test_answers_differing_only_by_their_correlation_id_are_one_failure_resent() -> None:
    found = one(run(*_worker([_body(i) for i in range(9)])), "retry_storm")
    # The first failure asked for 10 s (its Retry-After quoted in the error); the first resend, 1 s
    # later, ignored it: that is where the storm became inevitable.
    assert found["decisive_span_id"] == "t1"
    assert "Retry-After" in found["explanation"]


def test_near_miss_answers_that_really_change_are_polling() -> None:
    outputs = [_body(i, f"Batch still locked: {8 - i} jobs ahead of it.") for i in range(6)]
    assert "retry_storm" not in detectors(run(*_worker(outputs)))


def test_the_same_call_issued_by_the_model_before_every_stated_wait_is_a_retry_storm() -> None:
    found = one(run(*_worker([_body(i) for i in range(9)], decided=True)), "retry_storm")
    assert found["decisive_span_id"] == "t1"


def test_near_miss_the_same_call_issued_by_the_model_with_no_stated_wait_is_no_retry_storm() -> None:
    outputs = [_body(i) for i in range(9)]
    assert "retry_storm" not in detectors(run(*_worker(outputs, decided=True, said="429 Too Many Requests")))
