"""An error relayed to the user is read on the messages' words, not on LangChain's wrapper.

LangChain's tracer writes each message into a LangSmith run as langchain-core serialises it
(langchain-ai/langchain libs/core/langchain_core/load/serializable.py ``Serializable.to_json``):
``{"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", "ToolMessage"],
"kwargs": {"content": ..., "type": "tool", "tool_call_id": ..., "status": "success"}}``, a tool
run's outputs ``{"output": <that>}``, a chat model run's an ``LLMResult`` whose generations carry
the AIMessage the same way. Every tool result and model output of such a log shares the wrapper's
words ("constructor", "langchain", "schema", "messages"), so ``error_shapes.relayed_error`` took
any later model message with a "not" in it as the error's reason passed on. What it compares now is
the content: the text the model saw and the text it said.
"""

from __future__ import annotations

import json

import polars as pl
from span_builder import detectors, one, run, span

from forensics.detectors.error_shapes import said_text

#: What a requests-based tool returns when it catches ``raise_for_status()`` and hands back
#: ``str(e)`` (requests ``models.py`` ``Response.raise_for_status``: "429 Client Error: ... for url").
_REFUSED = "429 Client Error: Too Many Requests for url: https://api.example.com/tariffs/switch"


def _message(cls: str, kind: str, content: str, **kwargs: object) -> dict[str, object]:
    return {"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages", cls],
            "kwargs": {"content": content, "type": kind, **kwargs}}  # fmt: skip


def _tool_output(content: str) -> str:
    return json.dumps({"output": _message("ToolMessage", "tool", content, name="switch_tariff",
                                          tool_call_id="call_Q2x9LmT0", status="success")})  # fmt: skip


def _llm_output(text: str) -> str:
    message = _message("AIMessage", "ai", text, additional_kwargs={}, id="run-5e1c0a",
                       response_metadata={"model_name": "gpt-4.1", "finish_reason": "stop"},
                       tool_calls=[], invalid_tool_calls=[])  # fmt: skip
    generation = {"text": text, "generation_info": {"finish_reason": "stop"}, "type": "ChatGeneration",
                  "message": message}  # fmt: skip
    return json.dumps(
        {"generations": [[generation]], "llm_output": {"model_name": "gpt-4.1"}, "type": "LLMResult"}
    )


def _run(said: str) -> list[dict[str, object]]:
    return [
        span("root", 0, 10, kind="chain", name="LangGraph",
             output=json.dumps({"messages": [{"role": "assistant", "content": said}]})),
        span("l0", 1, kind="llm", model="gpt-4.1", parent_id="root", output=_llm_output("")),
        span("t1", 2, kind="tool", tool="switch_tariff", parent_id="root", input='{"tariff": "FIXED_24"}',
             output=_tool_output(_REFUSED)),
        span("l1", 3, kind="llm", model="gpt-4.1", parent_id="root", output=_llm_output(said)),
    ]  # fmt: skip


def test_a_later_message_that_says_nothing_of_the_error_leaves_it_read_as_data() -> None:
    # "isn't" is a not-done word, and the wrapper's four words are shared: before, "reported".
    said = "Your switch to Fixed 24 is confirmed from today; your direct debit isn't changing."
    assert one(run(*_run(said)), "error_as_data")["decisive_span_id"] == "t1"


def test_near_miss_a_later_message_that_passes_the_errors_words_on_reported_it() -> None:
    # The error's own words (client, requests, tariffs) with "wasn't": its reason passed on.
    said = (
        "I wasn't able to switch your tariff: the tariffs service turned our client's requests away for now."
    )
    assert "error_as_data" not in detectors(run(*_run(said)))


def test_said_text_keeps_the_content_and_drops_the_wrapper() -> None:
    out = pl.select(said_text(pl.lit(_tool_output('{"rows": 0}\nUPDATE 0')))).item()
    assert "UPDATE 0" in out and '{"rows": 0}' in out
    assert not any(w in out for w in ("constructor", "langchain", "ToolMessage", "call_Q2x9LmT0", "success"))
    # Text that is no LangChain serialisation, JSON with a content key included, is left as it is.
    plain = '{"content": "the tariffs service is busy", "role": "tool"}'
    assert pl.select(said_text(pl.lit(plain))).item() == plain
