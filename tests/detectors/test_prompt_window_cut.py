"""context_overflow: a prompt as long as the window its own request set (Ollama's num_ctx) was cut.

Ollama runs a request with the context window its ``num_ctx`` option sets (default 2048: docs/faq.md
"How can I specify the context window size?") and cuts a longer prompt to it, answering normally;
LiteLLM passes the option through and OpenInference writes it in ``llm.invocation_parameters``
(smolagents#201: the CodeAgent's system prompt lost that way)."""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

PARAMS = {"llm.invocation_parameters": json.dumps({"api_base": "http://127.0.0.1:11434", "num_ctx": 2048})}


def _parse_loop(prompt_tokens: int, params: dict[str, str] | None = PARAMS):
    """A CodeAgent on Ollama: two model calls of the given prompt size, then its answer."""
    attrs = json.dumps(params) if params is not None else None
    return run(
        span("r", 0, 30, kind="agent", name="CodeAgent.run", input=json.dumps({"task": "How long for a leopard?"}),
             output="About 9.6 seconds."),
        span("m1", 1, 5, parent_id="r", kind="llm", name="LiteLLMModel.generate", model="ollama_chat/qwen2.5-coder:14b",
             input_tokens=prompt_tokens, output_tokens=70, attributes=attrs, output="The bridge is 155 m long."),
        span("m2", 6, 10, parent_id="r", kind="llm", name="LiteLLMModel.generate", model="ollama_chat/qwen2.5-coder:14b",
             input_tokens=prompt_tokens, output_tokens=31, attributes=attrs, output="About 9.6 seconds."),
    )


def test_a_prompt_filling_its_requests_num_ctx_was_cut() -> None:
    f = one(_parse_loop(2048), "context_overflow")
    assert f["decisive_span_id"] == "m1"
    assert "num_ctx" in f["explanation"]


def test_near_miss_a_prompt_below_num_ctx_was_whole() -> None:
    assert "context_overflow" not in detectors(_parse_loop(1900))


def test_near_miss_no_num_ctx_no_window_to_read() -> None:
    assert "context_overflow" not in detectors(_parse_loop(2048, params={"temperature": "0.2"}))
