"""A retry loop that waits less than the server's Retry-After is a storm, however its waits vary.

LlamaIndex workflows re-run a failed step after the delay its ``retry_policy`` returns
(run-llama/llama_index ``llama-index-core/llama_index/core/workflow/retry_policy.py`` re-exports
``workflows.retry_policy.ConstantDelayRetryPolicy``: ``next()`` returns ``self.delay`` while
``attempts < maximum_attempts``; the step worker sleeps that long and calls the step again). The
policy never reads the error, so a 429 that said ``Retry-After: 120`` is sent again after 0.5 s.
Each attempt of the step does its own work before the model call (a retrieval of varying length),
so the waits between the failed model calls vary (0.55 s, 0.9 s, 0.6 s): a 1.6x step among them
read as backoff growth, and the storm was missed. A wait far shorter than the Retry-After the
failure asked for is no backoff at all.

The Retry-After is read where the instrumentations record it: the HTTP client span's response
header (``http.response.header.retry-after``, an OTel header attribute, a one-element array), or
the provider's error text the SDK raises (Azure OpenAI's 429 body: "Please retry after 120
seconds."; OpenAI's: "Please try again in 20s."; openai-python puts the body in the
RateLimitError's message, ``_base_client.py`` ``_make_status_error``).
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, one, run, span

URL = "https://example-resource.openai.azure.com/openai/deployments/gpt-4o/chat/completions"
AZURE_429 = (
    "Error code: 429 - {'error': {'code': '429', 'message': 'Requests to the ChatCompletions_Create "
    "Operation under Azure OpenAI API version 2024-02-01 have exceeded token rate limit of your current "
    "AIServices S0 pricing tier. Please retry after 120 seconds.'}}"
)


def _workflow(waits: list[float], *, header: bool = True, message: str = "Error code: 429") -> list[dict[str, Any]]:
    """A LlamaIndex workflow whose step ``answer`` fails on a 429 and is re-run after each wait."""
    rows = [span("wf", 0, 1000, kind="chain", name="RagWorkflow.run", status="error", error_type="WorkflowRuntimeError")]
    t = 1.0
    for i, wait in enumerate([*waits, None]):
        rows.append(span(f"s{i}", t, t + 0.5, parent_id="wf", kind="chain", name="RagWorkflow.answer",
                         input='{"query": "refund policy"}', status="error", error_type="RateLimitError"))
        rows.append(span(f"c{i}", t + 0.1, t + 0.5, parent_id=f"s{i}", kind="llm", model="gpt-4o",
                         name="AzureOpenAI.chat", input='[{"role": "user", "content": "refund policy"}]',
                         status="error", error_type="RateLimitError", error_message=message))
        if header:
            attrs = {"http.request.method": "POST", "url.full": URL, "http.response.status_code": 429,
                     "http.response.header.retry-after": ["120"]}
            rows.append(span(f"h{i}", t + 0.11, t + 0.49, parent_id=f"c{i}", name="POST", status="error",
                             error_type="429", attributes=json.dumps(attrs)))
        if wait is not None:
            t += 0.5 + wait
    return rows


def test_waits_far_shorter_than_the_retry_after_are_a_storm_even_when_they_vary() -> None:
    f = one(run(*_workflow([0.55, 0.9, 0.6])), "retry_storm")
    assert f["decisive_span_id"] == "c1"
    assert "Retry-After" in f["explanation"]


def test_the_retry_after_in_the_providers_error_text() -> None:
    # No HTTP span: the Azure 429 body in the model call's error message says how long to wait.
    f = one(run(*_workflow([0.55, 0.9, 0.6], header=False, message=AZURE_429)), "retry_storm")
    assert f["decisive_span_id"] == "c1"


def test_near_miss_retries_that_wait_the_retry_after() -> None:
    # The same step re-run after the 120 s the server asked for (and a little more each time).
    assert "retry_storm" not in detectors(run(*_workflow([121.0, 125.0, 122.0])))
    assert "retry_storm" not in detectors(run(*_workflow([121.0, 125.0, 122.0], header=False, message=AZURE_429)))


def test_near_miss_varying_waits_with_no_retry_after_asked() -> None:
    # Without a Retry-After the growth of the waits is the only sign of backoff, read as before.
    assert "retry_storm" not in detectors(run(*_workflow([0.55, 0.9, 0.6], header=False)))


def test_the_wait_floor_is_a_policy_threshold(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from forensics.policy import default_policy_path, load_policy

    assert load_policy().retry_wait_floor_s == 0.1
    text = default_policy_path().read_text().replace("retry_wait_floor_s = 0.1", "retry_wait_floor_s = 1.5")
    (tmp_path / "p.toml").write_text(text)
    pol = load_policy(tmp_path / "p.toml")
    assert pol.retry_wait_floor_s == 1.5
    # Waits of 0.65 s and 1.0 s (with the step's 0.1 s of work before its model call) are under
    # a 1.5 s floor: no wait at all, so no backoff (no header).
    assert "retry_storm" in detectors(run(*_workflow([0.55, 0.9, 0.6], header=False), policy=pol))


def _client_resends(recovered: bool) -> list[dict[str, Any]]:
    """openai-python's own resends of one chat call (HTTP client spans of one POST under the chat
    span): it honours a Retry-After of at most 60 s and otherwise sleeps its own growing backoff
    (``_base_client.py`` ``_calculate_retry_timeout``: 0.5 s * 2**n, jittered), here 0.45 s then 0.9 s
    against ``Retry-After: 120``."""
    rows = [
        span("root", 0, 10, kind="agent", agent="kb", name="answer_ticket", output="Refunds take 5 days."),
        span("chat", 1, 4, parent_id="root", kind="llm", model="gpt-4o", agent="kb", output="Refunds take 5 days.",
             **({} if recovered else {"status": "error", "error_type": "RateLimitError"})),
    ]
    t = 1.01
    for i, wait in enumerate([0.45, 0.9, None]):
        ok = recovered and wait is None
        attrs = {"http.request.method": "POST", "url.full": URL, "http.response.status_code": 200 if ok else 429}
        if not ok:
            attrs["http.response.header.retry-after"] = ["120"]
        rows.append(span(f"h{i}", t, t + 0.3, parent_id="chat", name="POST", attributes=json.dumps(attrs),
                         **({} if ok else {"status": "error", "error_type": "429"})))
        t += 0.3 + (wait or 0)
    return rows


def test_client_backoff_that_ignored_the_retry_after_and_got_through_is_no_storm() -> None:
    # The Retry-After was the server's caution, and the client's growing backoff got the answer:
    # its growth is read as before. The same resends all refused: the server was right, a storm.
    assert "retry_storm" not in detectors(run(*_client_resends(recovered=True)))
    assert one(run(*_client_resends(recovered=False)), "retry_storm")["decisive_span_id"] == "h1"


def test_near_miss_a_retry_after_spelled_in_milliseconds_was_waited() -> None:
    # OpenAI's 429 text also spells the unit out ("Please try again in 500 milliseconds.", the form a
    # coding client's Retry-After parser is tested on); the step waited 1 s, 2 s, 4 s: far longer,
    # and growing. The m of "milliseconds" is no minute (500 minutes would make every wait none).
    said = "Error code: 429 - Rate limit reached for gpt-4o. Please try again in 500 milliseconds."
    assert "retry_storm" not in detectors(run(*_workflow([1.0, 2.0, 4.0], header=False, message=said)))
    # The same waits against 500 seconds asked for are no backoff.
    asked = "Error code: 429 - Rate limit reached for gpt-4o. Please try again in 500 seconds."
    assert "retry_storm" in detectors(run(*_workflow([1.0, 2.0, 4.0], header=False, message=asked)))
