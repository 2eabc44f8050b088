"""Spring AI hands a tool's exception to the model as the call's result; a failed call did not act.

spring-ai DefaultToolExecutionExceptionProcessor.process: with ``alwaysThrow`` false (the default)
it returns ``exception.getMessage()`` as the tool's result and the span ends OK. A tool calling an
HTTP API through Spring's RestTemplate / RestClient throws ResourceAccessException on an I/O
failure, its message ``I/O error on POST request for "<url>": Read timed out`` (spring-framework
RestTemplate.doExecute, DefaultRestClient createResourceAccessException). That result is
error-shaped: the capture did not (as far as the run knows) act, so it is no unguarded payment.
"""

from __future__ import annotations

from span_builder import raised, run, span

URL = "https://api.stripe.com/v1/payment_intents/pi_1/capture"


def _capture(result: str) -> set[str]:
    return raised(run(
        span("root", 0, 30, kind="chain", name="spring_ai chat_client", output="The order is settled."),
        span("l1", 1, parent_id="root", kind="llm", model="gpt-4o-mini"),
        span("t1", 2, 32, parent_id="root", kind="tool", tool="capturePayment",
             input='{"paymentIntentId": "pi_1", "amountToCapture": 4900}', output=result),
        span("l2", 33, parent_id="root", kind="llm", model="gpt-4o-mini", output="The order is settled."),
    ))  # fmt: skip


def test_near_miss_a_capture_whose_result_is_springs_io_error_did_not_act() -> None:
    assert "unguarded_irreversible" not in _capture(f'I/O error on POST request for "{URL}": Read timed out')


def test_a_capture_that_succeeded_with_no_approval_fires() -> None:
    assert "unguarded_irreversible" in _capture('{"id": "pi_1", "status": "succeeded", "amount_received": 4900}')
