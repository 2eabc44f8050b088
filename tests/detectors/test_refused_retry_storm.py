"""The model sending the same call again and again into an open breaker or a bad certificate: a storm.

DSPy ReAct catches a tool's exception and hands it to the model as the observation
(stanfordnlp/dspy ``dspy/predict/react.py`` ``ReAct.forward``/``_call_tool``: ``f"Execution error in
{tool_name}: {_fmt_exc(err)}"``); a model that reads "CERTIFICATE_VERIFY_FAILED" and asks for the
same fetch again gets the same refusal, a second later each time. pybreaker raises
``CircuitBreakerError`` ("Timeout not elapsed yet, circuit breaker still open": danielfm/pybreaker
``src/pybreaker/__init__.py``) without calling the service until its reset timeout passes. Both say
a resend now cannot get through: more of them than ``retry_limit``, never getting through, is the
storm the breaker exists to stop (retry_storm), besides the model's loop (repeated_action). A
model-decided repeat of other failures stays repeated_action's alone.
"""

from __future__ import annotations

from typing import Any

from span_builder import detectors, run, span

_CERT = ("requests.exceptions.SSLError", "HTTPSConnectionPool(host='policy-api.example.com', port=443): Max retries "
         "exceeded (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
         "verify failed: certificate has expired (_ssl.c:1006)')))")
_BREAKER = ("pybreaker.CircuitBreakerError", "Timeout not elapsed yet, circuit breaker still open")
_SERVER = ("requests.exceptions.HTTPError", "500 Server Error: Internal Server Error for url: /v2/policies/PL-1")


def _react(error: tuple[str, str], attempts: int = 6, recovered_after: float | None = None) -> list[dict[str, Any]]:
    rows = [span("root", 0, 60, kind="chain", name="ReAct.forward", output='{"decision": "recommend denial"}')]
    t = 1.0
    for i in range(attempts):
        rows.append(span(f"p{i}", t, t + 0.9, parent_id="root", kind="chain", name="Predict(StringSignature).forward"))
        rows.append(span(f"m{i}", t + 0.01, t + 0.85, parent_id=f"p{i}", kind="llm", name="LM.__call__", model="gpt-4o",
                         output='{"tool_calls": [{"name": "fetch_policy", "arguments": {"policy_no": "PL-1"}}]}'))
        rows.append(span(f"t{i}", t + 0.95, t + 1.0, parent_id="root", kind="tool", tool="fetch_policy", name="Tool.__call__",
                         input='{"policy_no": "PL-1"}', status="error", error_type=error[0], error_message=error[1]))
        t += 1.1
    if recovered_after is not None:
        t += recovered_after
        rows.append(span("pz", t, t + 0.9, parent_id="root", kind="chain", name="Predict(StringSignature).forward"))
        rows.append(span("mz", t + 0.01, t + 0.85, parent_id="pz", kind="llm", name="LM.__call__", model="gpt-4o"))
        rows.append(span("tz", t + 0.95, t + 1.2, parent_id="root", kind="tool", tool="fetch_policy", name="Tool.__call__",
                         input='{"policy_no": "PL-1"}', output='{"status": "active"}'))
    return rows


def test_model_resending_into_an_expired_certificate_or_open_breaker_is_a_storm() -> None:
    for error in (_CERT, _BREAKER):
        found = detectors(run(*_react(error)))
        assert {"retry_storm", "repeated_action"} <= found, (error, found)


def test_other_failures_few_resends_or_one_that_got_through_are_no_refusal_storm() -> None:
    # Near-misses: a server error resent by the model is its loop (repeated_action's alone); three
    # refused calls are within retry_limit; calls refused until the breaker's half-open probe got
    # through (the model waited, then the same call answered) recovered.
    found = detectors(run(*_react(_SERVER)))
    assert "repeated_action" in found and "retry_storm" not in found, found
    found = detectors(run(*_react(_BREAKER, attempts=3)))
    assert "retry_storm" not in found, found
    found = detectors(run(*_react(_BREAKER, attempts=5, recovered_after=30)))
    assert "retry_storm" not in found, found
