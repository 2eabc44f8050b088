"""context_overflow's decisive span is the first model call whose prompt was cut to the window the
request set, though Ollama reports it a little under that window.

smolagents' ``LiteLLMModel(model_id="ollama_chat/...", num_ctx=2048)`` sends ``num_ctx`` in the
request options (LiteLLM's ollama_chat provider); Ollama cuts a longer prompt to fit and answers
normally, reporting as ``prompt_eval_count`` the tokens it kept, which can sit a few tokens under
``num_ctx`` (2041 of 2048 in the smolagents_dev incident ``smol_ollama_prompt_cut_to_num_ctx``).
The OpenInference smolagents instrumentation writes it as ``llm.token_count.prompt`` beside the
whole ``input.value`` (openinference-instrumentation-smolagents ``_wrappers.py`` ``_ModelWrapper``).
A count read only as "at least num_ctx" found the third cut call, not the first.
"""

from __future__ import annotations

import json

from span_builder import findings, run, span

MODEL = "ollama_chat/qwen2.5-coder:7b"


def _steps(counts: list[int], chars: list[int], num_ctx: int = 2048) -> list[dict]:
    attrs = json.dumps({"llm.invocation_parameters": json.dumps({"num_ctx": num_ctx})})
    rows = [span("agent", 0, 100, kind="agent", agent="CodeAgent", name="CodeAgent.run", output="done")]
    for i, (n, c) in enumerate(zip(counts, chars, strict=True)):
        rows.append(span(f"m{i}", 1 + 10 * i, 5 + 10 * i, parent_id="agent", kind="llm", model=MODEL, agent="CodeAgent",
                         name="LiteLLMModel.generate", input_tokens=n, output_tokens=120,
                         input=json.dumps([{"role": "user", "content": "x" * c}]), output="Thought: next step",
                         attributes=attrs))
    return rows


def test_the_first_call_cut_to_its_num_ctx_is_decisive() -> None:
    (f,) = findings(run(*_steps([1100, 2041, 2046, 2048], [4500, 9000, 14000, 19000])), "context_overflow")
    assert f["decisive_span_id"] == "m1"
    assert set(f["evidence_span_ids"]) == {"m1", "m2", "m3"}


def test_near_misses_counts_that_grew_or_a_larger_window() -> None:
    # Counts growing with the prompt under the window: nothing was cut.
    assert not findings(run(*_steps([1100, 1500, 1900, 2000], [4500, 6200, 7900, 8300])), "context_overflow")
    # The same counts under a num_ctx of 8192: far under the window.
    assert not findings(run(*_steps([1100, 2041, 2046, 2048], [4500, 9000, 14000, 19000], num_ctx=8192)), "context_overflow")
