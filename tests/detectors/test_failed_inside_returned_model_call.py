"""A request that failed inside a model call that then returned was absorbed by that call.

pydantic-ai's ``InstrumentedModel`` wraps the agent's model, a ``FallbackModel`` included, in one
request span (pydantic_ai/models/instrumented.py), and the ``FallbackModel`` moves to its next model
when one raises (models/fallback.py ``fallback_on``): the first provider's failed HTTP requests
(here three 429s from api.openai.com: the OpenAI client's own two resends, openai-python
``_base_client.py`` ``_retry_request``, then the raise) and the next provider's answer sit under
that one model-call span, which returned, here named for the model that answered. The fact names
them handled by the framework, with the answering request as evidence, and the run that reported
success swallowed nothing. Near misses: the same requests under a model call that failed are not
absorbed by it, nor with no later request under the call succeeding (tests/detectors/
test_fallback_model.py: then swallowed_error fires; nor when the answering request went to the same
host by another path, tests/conventions/test_conventions.py), and a tool that failed under a returned model
call is not absorbed by it (a tool's error is the model's to read or ignore).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.policy import resolve_policy

_OPENAI = '{"http.request.method": "POST", "url.full": "https://api.openai.com/v1/chat/completions", "http.response.status_code": 429}'
_ANTHROPIC = '{"http.request.method": "POST", "url.full": "https://api.anthropic.com/v1/messages", "http.response.status_code": 200}'


def _fallback_run(call_status: str = "unset", child_kind: str = "unknown", answered: bool = True) -> list[dict[str, Any]]:
    failed_call = {"status": "error", "error_type": "ModelHTTPError", "error_message": "status_code: 429"} if call_status == "error" else {}
    return [
        span("root", 0, 10, kind="agent", agent="fx_quote", name="agent run", input="Quote 2,500 EUR in USD.",
             output="2,500 EUR is 2,712.50 USD at today's rate of 1.0850."),
        span("call", 0.1, 6, parent_id="root", kind="llm", model="claude-sonnet-4-5", name="chat claude-sonnet-4-5",
             output='{"tool_calls": [{"name": "get_fx_rate"}]}', **failed_call),
        span("h1", 0.2, 0.6, parent_id="call", kind=child_kind, name="POST", attributes=_OPENAI,
             status="error", error_type="429"),
        span("h2", 1.2, 1.6, parent_id="call", kind=child_kind, name="POST", attributes=_OPENAI,
             status="error", error_type="429"),
        span("h3", 3.0, 3.4, parent_id="call", kind=child_kind, name="POST", attributes=_OPENAI,
             status="error", error_type="429"),
        *([span("h4", 3.5, 5.9, parent_id="call", kind="unknown", name="POST", attributes=_ANTHROPIC)] if answered else []),
        span("fx", 6.1, 6.5, parent_id="root", kind="tool", tool="get_fx_rate", name="running tool",
             input='{"base": "EUR", "quote": "USD"}', output='{"rate": 1.085}'),
        span("answer", 6.6, 9.9, parent_id="root", kind="llm", model="claude-sonnet-4-5", name="chat claude-sonnet-4-5",
             output="2,500 EUR is 2,712.50 USD at today's rate of 1.0850."),
    ]  # fmt: skip


def _handling(rows: list[dict[str, Any]]) -> dict[str, tuple[str | None, str | None]]:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return {d["span_id"]: (d["handled_by"], d["handled_span_id"]) for d in failure_handling(ctx).to_dicts()}


def test_failed_requests_inside_a_model_call_that_returned_were_absorbed_by_it() -> None:
    rows = _fallback_run()
    handled = _handling(rows)
    assert {k: handled[k] for k in ("h1", "h2", "h3")} == {k: ("framework", "h4") for k in ("h1", "h2", "h3")}
    assert "swallowed_error" not in detectors(run(*rows))


def test_near_miss_the_same_requests_under_a_model_call_that_failed_are_not_absorbed() -> None:
    handled = _handling(_fallback_run(call_status="error"))
    assert handled["h1"][0] != "framework" and handled["h1"][1] != "h4"


def test_near_miss_no_later_request_under_the_model_call_succeeded() -> None:
    rows = _fallback_run(answered=False)
    assert _handling(rows)["h3"][0] != "framework"
    assert "swallowed_error" in detectors(run(*rows))


def test_near_miss_a_tool_failed_under_a_returned_model_call_is_not_absorbed_by_it() -> None:
    handled = _handling(_fallback_run(child_kind="tool"))
    assert all(handled[k] != ("framework", "h4") for k in ("h1", "h2", "h3"))
