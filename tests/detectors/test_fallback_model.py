"""pydantic-ai's FallbackModel: the next model answering is a fallback of the failed requests.

``FallbackModel(claude, gpt)`` is named ``fallback:claude-sonnet-4-0,gpt-4.1`` (its model_name,
pydantic_ai/models/fallback.py), so its chat span is ``chat fallback:...``. Anthropic answered 529
three times (its client resent the request twice: one attempt group), then FallbackModel called
OpenAI, which answered: the release notes were written, the run is clean. Near miss: the same three
529s with no other model answering, under a run that still reports success.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span

ANTHROPIC = "https://api.anthropic.com/v1/messages"
OPENAI = "https://api.openai.com/v1/chat/completions"


def _post(sid: str, start: float, url: str, status: int, resend: int = 0) -> dict[str, object]:
    attrs: dict[str, object] = {"http.request.method": "POST", "url.full": url, "http.response.status_code": status}
    if resend:
        attrs["http.request.resend_count"] = resend
    bad = {"status": "error", "error_type": str(status)} if status >= 400 else {}
    return span(sid, start, start + 0.5, parent_id="chat", kind="unknown", name="POST", agent="release_notes_writer",
                attributes=json.dumps(attrs), **bad)


def _run(answered: bool) -> set[str]:
    rows = [
        span("root", 0, 10, kind="agent", name="agent run", agent="release_notes_writer", status="ok",
             output="## v2.4.0 release notes ..."),
        span("chat", 0.1, 9, parent_id="root", kind="llm", name="chat fallback:claude-sonnet-4-0,gpt-4.1",
             model="gpt-4.1", agent="release_notes_writer", output="## v2.4.0 release notes ..."),
        _post("p1", 0.2, ANTHROPIC, 529),
        _post("p2", 1.2, ANTHROPIC, 529, resend=1),
        _post("p3", 2.7, ANTHROPIC, 529, resend=2),
    ]
    if answered:
        rows.append(_post("p4", 3.5, OPENAI, 200))
    return detectors(run(*rows))


def test_the_next_model_answering_recovers_the_failed_requests() -> None:
    assert "swallowed_error" not in _run(answered=True)


def test_near_miss_no_other_model_answered_and_success_was_reported() -> None:
    assert "swallowed_error" in _run(answered=False)


# Why the FallbackModel rule stays beside handling.inside_returned_model_call (the structural rule):
# two Azure OpenAI deployments of one resource are one host, the deployment in the path (openai-python
# src/openai/lib/azure.py rewrites /chat/completions to /deployments/{model}/chat/completions). Under
# a plain model call another path on the same host is another request; under a FallbackModel's span
# it is the next model answering, which only the span's name says.
AZURE = "https://contoso.openai.azure.com/openai/deployments/{}/chat/completions?api-version=2024-10-21"


def _azure(chat_name: str) -> set[str]:
    rows = [
        span("root", 0, 10, kind="agent", name="agent run", agent="release_notes_writer", status="ok",
             output="## v2.4.0 release notes ..."),
        span("chat", 0.1, 9, parent_id="root", kind="llm", name=chat_name, model="gpt-4o-mini",
             agent="release_notes_writer", output="## v2.4.0 release notes ..."),
        _post("p1", 0.2, AZURE.format("gpt-4o"), 500),
        _post("p2", 1.5, AZURE.format("gpt-4o-mini"), 200),
    ]  # fmt: skip
    return detectors(run(*rows))


def test_the_next_azure_deployment_answering_under_a_fallback_model_recovers_the_failure() -> None:
    assert "swallowed_error" not in _azure("chat fallback:gpt-4o,gpt-4o-mini")


def test_near_miss_another_deployment_answering_under_a_plain_model_call_is_another_request() -> None:
    assert "swallowed_error" in _azure("chat gpt-4o-mini")
