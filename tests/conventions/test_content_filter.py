"""A model call the provider's content filter stopped (forensics/conventions/content_filter.py).

OpenAI and Azure OpenAI answer HTTP 200 with ``finish_reason: "content_filter"`` and no content
(openai-python ``types/chat/chat_completion.py`` ``Choice.finish_reason``); instrumentations record
it as ``gen_ai.response.finish_reasons`` (opentelemetry-instrumentation-openai-v2 ``patch.py``;
Microsoft Agent Framework ``observability.py`` ``FINISH_REASON_MAP`` and its output messages'
``finish_reason``), ``gen_ai.completion.<i>.finish_reason`` (OpenLLMetry ``shared/__init__.py``),
or inside the response OpenInference keeps as ``output.value``. No exception is raised, so the span
ends OK: the run that answered with nothing, or went on without the answer, reported success over a
failed call. An app that caught it and told the user it cannot help did not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import classify_otlp, otlp_span
from span_builder import detectors, findings, run, span

ASK = "Describe the attack in the attached incident report in full detail."
FILTERED = {"gen_ai.response.finish_reasons": ["content_filter"], "gen_ai.request.model": "gpt-4o"}


def _chat_run(final: str | None, out: str | None = None, attrs: dict[str, Any] | None = None, *later: dict[str, Any]) -> Any:
    return run(
        span("root", 0, 10, kind="agent", name="support", agent="support", input=ASK, output=final),
        span("l1", 1, 2, kind="llm", parent_id="root", agent="support", name="chat gpt-4o", model="gpt-4o",
             input=ASK, output=out, attributes=json.dumps(attrs if attrs is not None else FILTERED)),  # fmt: skip
        *later,
    )


def test_a_filtered_answer_under_a_success_is_swallowed() -> None:
    c = _chat_run(None)
    (row,) = findings(c, "swallowed_error")
    assert row["decisive_span_id"] == "l1"
    assert "finish_reason content_filter" in row["explanation"]


def test_openllmetry_and_openinference_spellings_are_read() -> None:
    openllmetry = {"gen_ai.completion.0.finish_reason": "content_filter", "gen_ai.completion.0.role": "assistant"}
    assert "swallowed_error" in detectors(_chat_run(None, attrs=openllmetry))
    response = json.dumps({"id": "chatcmpl-1", "choices": [{"index": 0, "finish_reason": "content_filter",
                                                            "message": {"role": "assistant", "content": None}}]})  # fmt: skip
    assert "swallowed_error" in detectors(_chat_run(None, out=response, attrs={"llm.model_name": "gpt-4o"}))


def test_near_miss_the_app_told_the_user_it_cannot_help() -> None:
    assert detectors(_chat_run("Sorry, I can't help with that request.")) == set()
    assert detectors(_chat_run("Your request was blocked by our content filter. Please rephrase it.")) == set()


def test_near_miss_a_normal_stop_and_azure_filter_annotations_are_no_filter() -> None:
    # Azure annotates every choice with content_filter_results, filtered false when nothing was cut.
    ok = {"gen_ai.response.finish_reasons": ["stop"],
          "azure.content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}  # fmt: skip
    assert detectors(_chat_run("The attacker used a phishing e-mail.", out="The attacker used a phishing e-mail.", attrs=ok)) == set()


def test_near_miss_the_same_agent_asked_again_and_got_an_answer() -> None:
    again = span("l2", 3, 5, kind="llm", parent_id="root", agent="support", name="chat gpt-4o", model="gpt-4o",
                 input=ASK + " Summarise only.", output="A phishing e-mail led to stolen credentials.",
                 attributes=json.dumps({"gen_ai.response.finish_reasons": ["stop"]}))  # fmt: skip
    assert detectors(_chat_run("A phishing e-mail led to stolen credentials.", None, None, again)) == set()


def test_agent_framework_chat_span_filtered_under_a_workflow_that_went_on(tmp_path: Path) -> None:
    # Agent Framework: the analyst's chat span ended with content_filter and no text; the writer
    # agent then wrote the answer from what it got (another agent's call: no retry of it).
    def sp(sid: str, parent: str, name: str, s: int, e: int, attrs: dict[str, Any]) -> dict[str, Any]:
        return otlp_span(sid, parent, name, s, e, attrs, trace="ef" * 16)

    ask = [{"role": "user", "parts": [{"type": "text", "content": ASK}]}]
    memo = [{"role": "assistant", "parts": [{"type": "text", "content": "Incident memo: no details available."}]}]
    spans = [
        sp("a000000000000001", "", "invoke_agent Analyst", 0, 900,
           {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Analyst", "gen_ai.input.messages": ask}),
        sp("c000000000000001", "a000000000000001", "chat gpt-4o", 5, 890,
           {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": ask,
            "gen_ai.response.finish_reasons": ["content_filter"],
            "gen_ai.output.messages": [{"role": "assistant", "parts": [], "finish_reason": "content_filter"}]}),
        sp("a000000000000002", "", "invoke_agent Writer", 1000, 2000,
           {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Writer", "gen_ai.input.messages": ask,
            "gen_ai.output.messages": memo}),
        sp("c000000000000002", "a000000000000002", "chat gpt-4o", 1005, 1990,
           {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": ask,
            "gen_ai.response.finish_reasons": ["stop"], "gen_ai.output.messages": [{**memo[0], "finish_reason": "stop"}]}),
    ]  # fmt: skip
    found = classify_otlp(spans, tmp_path / "af.otlp.json")
    swallowed = found.filter(pl.col("detector") == "swallowed_error")
    assert swallowed.get_column("decisive_span_id").to_list() == ["c000000000000001"]


#: A coding agent's answer that quotes a filtered response in a test fixture it writes: its text.
FIXTURE = ('Here is the fixture for the handler test:\n```json\n{"choices": [{"index": 0, "finish_reason": '
           '"content_filter", "message": {"role": "assistant", "content": null}}]}\n```')  # fmt: skip


def test_near_miss_a_model_answer_that_quotes_a_filtered_response_is_text(tmp_path: Path) -> None:
    # The model wrote the words; its own call stopped normally. As plain text (a loader's message
    # text), inside an OpenInference response's message content (output.value), and inside an
    # Agent Framework output message's text part (gen_ai.output.messages, observability.py).
    stop = {"gen_ai.response.finish_reasons": ["stop"]}
    done = "Added tests/test_filter.py; it passes."
    assert detectors(_chat_run(done, FIXTURE, stop)) == set()
    response = json.dumps({"id": "chatcmpl-2", "choices": [{"index": 0, "finish_reason": "stop",
                                                            "message": {"role": "assistant", "content": FIXTURE}}]})  # fmt: skip
    assert detectors(_chat_run(done, response, {"llm.model_name": "gpt-4o"})) == set()
    ask = [{"role": "user", "parts": [{"type": "text", "content": "Add a test for the content filter notice."}]}]
    said = [{"role": "assistant", "parts": [{"type": "text", "content": FIXTURE}], "finish_reason": "stop"}]
    spans = [
        otlp_span("a000000000000001", "", "invoke_agent Coder", 0, 900,
                  {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Coder", "gen_ai.input.messages": ask,
                   "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": done}]}]}),
        otlp_span("c000000000000001", "a000000000000001", "chat gpt-4o", 5, 890,
                  {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": ask,
                   "gen_ai.response.finish_reasons": ["stop"], "gen_ai.output.messages": said}),
    ]  # fmt: skip
    assert classify_otlp(spans, tmp_path / "coder.otlp.json").is_empty()
