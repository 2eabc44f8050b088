"""The size of what a model call was sent, kept for the rules that compare it with its token count.

``prepare`` drops the raw ``input`` text before the detectors run. A model call's prompt token count
is what the provider says it read; its input is what the caller sent. The two part ways when a server
cuts the prompt without an error: Ollama truncates a prompt longer than its context window
(``num_ctx``, 2048 tokens by default, later 4096) and answers normally, reporting as
``prompt_eval_count`` the tokens it kept (docs/faq.md "How can I specify the context window size?";
the runner's "truncating input prompt" warning, ollama/ollama#10368). LiteLLM's ``ollama`` /
``ollama_chat`` providers pass that count on as ``usage.prompt_tokens``, smolagents' ``LiteLLMModel``
as the ChatMessage's ``token_usage.input_tokens``, and the OpenInference instrumentation writes it
as ``llm.token_count.prompt`` (openinference-instrumentation-smolagents _wrappers.py, _ModelWrapper),
while ``input.value`` holds every message sent.
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.registry import Convention, Signal, published, register


def _extract() -> list[pl.Expr]:
    return [pl.when(pl.col("kind") == "llm").then(pl.col("input").str.len_chars()).alias("_cv_prompt_chars")]


register(
    Convention(
        name="prompt_size",
        signals=(
            Signal(
                "a model call's input (input.value: every message sent) beside its prompt token count (llm.token_count.prompt)",
                "OpenInference (smolagents LiteLLMModel over LiteLLM's ollama provider)",
                "openinference-instrumentation-smolagents _wrappers.py (_ModelWrapper: input.value, llm.token_count.prompt); "
                "ollama docs/api.md (prompt_eval_count), docs/faq.md (context window size)",
                "prompt_chars (model calls: the input's length in characters)",
            ),
        ),
        extract=_extract,
        status=published("_cv_prompt_chars", "prompt_chars", dtype=pl.Int64),
        columns={"prompt_chars": "the length in characters of what a model call was sent (its input), model calls only, else null"},
    )
)
