"""How much of a model call's prompt the provider read from its prompt cache, where the log says.

A prompt re-sent unchanged on every turn costs its whole size each time unless the provider caches
it: Anthropic and Bedrock bill cached prompt tokens apart and far cheaper, OpenAI caches a repeated
prefix automatically. Each framework writes the cached part under its own name:

* the Anthropic Messages API's ``usage.cache_read_input_tokens`` (anthropic-sdk-python
  ``src/anthropic/types/usage.py``), which Claude Code transcripts keep on every assistant line
  (``message.usage``), and Strands writes as ``gen_ai.usage.cache_read_input_tokens`` from Bedrock's
  ``cacheReadInputTokens`` (strands-agents/sdk-python ``src/strands/telemetry/tracer.py``
  ``_add_optional_usage_and_metrics_attributes``);
* the OTel GenAI conventions' ``gen_ai.usage.cache_read.input_tokens``;
* OpenAI's ``usage.prompt_tokens_details.cached_tokens`` (Chat Completions) and
  ``usage.input_tokens_details.cached_tokens`` (Responses; openai-python
  ``src/openai/types/completion_usage.py``, ``types/responses/response_usage.py``);
* OpenInference's ``llm.token_count.prompt_details.cache_read`` (openinference-semantic-conventions
  ``SpanAttributes.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ``; Langfuse keeps it in
  ``usageDetails`` as ``prompt_details.cache_read``), LangChain's ``usage_metadata.input_token_details
  .cache_read`` (LangSmith), OpenHands' ``cache_read_tokens`` (``openhands/llm/metrics.py``).

smolagents records no cache figure (its ``TokenUsage`` has input and output tokens only), so its
calls read as none recorded. The column says only whether the provider read any of the prompt from a
cache; whether the prompt count includes the cached part differs by provider (OpenAI's does,
Anthropic's and Bedrock's do not) and no rule subtracts one from the other.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, on_rows, published, register

#: A cache-read count under any of the names above (a key ending in one of them: a namespace or a
#: parent object before it), with a whole number (Langfuse and OTLP string values: "0").
CACHE_READ: Final = (
    rf"{Q}[\w.]*(?:cache_read(?:_input_tokens|\.input_tokens|_tokens)?|cached_tokens){Q}\s*:\s*(?:{Q})?(\d+)"
)
#: The literal every name above holds (the regex reads only the model calls holding one).
_NEEDLE: Final = "cache"


def _cached(text: pl.Expr) -> pl.Expr:
    """The largest cache-read count in ``text`` (several names may repeat one figure), else null."""
    return (
        pl.when(text.str.contains(_NEEDLE, literal=True))
        .then(text)
        .str.extract_all(CACHE_READ)
        .list.eval(pl.element().str.extract(r"(\d+)$", 1).cast(pl.Int64))
        .list.max()
    )


def _extract() -> list[pl.Expr]:
    llm = pl.col("kind") == "llm"
    # Usage sits in the attributes (OTel, OpenInference, Claude Code, Langfuse) or in the recorded
    # response (MLflow and LangSmith keep the provider's response, usage included, as the output).
    return [
        pl.max_horizontal(
            on_rows(llm, pl.col("attributes"), _cached), on_rows(llm, pl.col("output"), _cached)
        ).alias("_cv_cache_read")
    ]


register(
    Convention(
        name="prompt_cache",
        signals=(
            Signal(
                "usage.cache_read_input_tokens on an assistant message",
                "Claude Code (Anthropic Messages API usage)",
                "anthropic-sdk-python src/anthropic/types/usage.py (Usage.cache_read_input_tokens)",
                "cache_read_tokens (model calls: prompt tokens read from the provider's cache)",
            ),
            Signal(
                "gen_ai.usage.cache_read_input_tokens (Bedrock cacheReadInputTokens); gen_ai.usage.cache_read.input_tokens",
                "Strands Agents (OTel GenAI); OTel GenAI semantic conventions",
                "strands-agents/sdk-python src/strands/telemetry/tracer.py (_add_optional_usage_and_metrics_attributes)",
                "cache_read_tokens",
            ),
            Signal(
                "usage.prompt_tokens_details.cached_tokens / usage.input_tokens_details.cached_tokens",
                "OpenAI Chat Completions and Responses (MLflow, OpenAI Agents SDK, OpenHands)",
                "openai-python src/openai/types/completion_usage.py (PromptTokensDetails.cached_tokens)",
                "cache_read_tokens",
            ),
            Signal(
                "llm.token_count.prompt_details.cache_read; input_token_details.cache_read",
                "OpenInference (Langfuse usageDetails); LangChain usage_metadata (LangSmith)",
                "openinference-semantic-conventions (SpanAttributes.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ)",
                "cache_read_tokens",
            ),
        ),
        extract=_extract,
        status=published("_cv_cache_read", "cache_read_tokens", dtype=pl.Int64),
        columns={
            "cache_read_tokens": "prompt tokens a model call's provider read from its prompt cache, where the log records "
            "it (model calls only), else null"
        },
    )
)
