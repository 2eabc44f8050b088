"""LiteLLM's OTel callback under a framework's own model call: one call, its usage counted once.

LiteLLM's OpenTelemetry callback (BerriAI/litellm litellm/integrations/opentelemetry.py) opens each
completion as ``litellm_request`` (LITELLM_REQUEST_SPAN_NAME) in the current context, with the
response's usage (SpanAttributes.LLM_USAGE_PROMPT_TOKENS / _COMPLETION_TOKENS: gen_ai.usage.prompt_tokens
/ completion_tokens, llm.usage.total_tokens). Called from a framework that traces its own model call
(smolagents' LiteLLMModel under OpenInference: ``LiteLLMModel.generate``, kind LLM, llm.token_count.*
from the same response: openinference-instrumentation-smolagents _wrappers.py _ModelWrapper), the
request sits under the framework's span with the same usage. conventions/rollups.py counts a model
call whose child model call carries the figure on the child only (the request the provider billed),
so the run's totals count the call once; two requests side by side (a Router fallback, a second
call) are two calls and both count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import otlp_span

import forensics
from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

_AGENT = {
    "openinference.span.kind": "AGENT",
    "llm.token_count.prompt": 1800,
    "llm.token_count.completion": 80,
}


def _model(n: int) -> dict[str, Any]:
    return {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o", "llm.token_count.prompt": 900 * n,
            "llm.token_count.completion": 40 * n}  # fmt: skip


def _request(n: int) -> dict[str, Any]:
    return {"gen_ai.request.model": "gpt-4o", "gen_ai.system": "openai", "gen_ai.usage.prompt_tokens": 900 * n,
            "gen_ai.usage.completion_tokens": 40 * n, "llm.usage.total_tokens": 940 * n}  # fmt: skip


def _totals(tmp_path: Path, spans: list[dict[str, Any]]) -> tuple[int, int]:
    path = tmp_path / "litellm.json"
    doc = {
        "resourceSpans": [
            {"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "x"}, "spans": spans}]}
        ]
    }
    path.write_text(json.dumps(doc))
    loaded = forensics.load(path)
    account = loaded.report.files[0]
    assert account.rows + account.quarantined + account.merged == len(spans) and account.quarantined == 0
    runs = prepare(pl.DataFrame(pl.from_arrow(loaded.spans)), resolve_policy(None)).runs
    return runs.get_column("input_tokens").item(), runs.get_column("output_tokens").item()


def test_litellm_request_under_the_framework_model_call_counts_once(tmp_path: Path) -> None:
    spans = [
        otlp_span("a000000000000001", "", "CodeAgent.run", 0, 9000, _AGENT),
        otlp_span("a000000000000002", "a000000000000001", "LiteLLMModel.generate", 100, 2000, _model(1)),
        otlp_span("a000000000000003", "a000000000000002", "litellm_request", 110, 1990, _request(1)),
        otlp_span("a000000000000004", "a000000000000001", "LiteLLMModel.generate", 3000, 5000, _model(1)),
        otlp_span("a000000000000005", "a000000000000004", "litellm_request", 3010, 4990, _request(1)),
    ]
    # Two calls of 900 + 40 tokens: neither the agent's roll-up nor the framework's span adds to them.
    assert _totals(tmp_path, spans) == (1800, 80)


def test_two_requests_side_by_side_both_count(tmp_path: Path) -> None:
    # Near miss: two litellm_request spans under the agent, no model call above them: two calls.
    spans = [
        otlp_span("a000000000000001", "", "CodeAgent.run", 0, 9000, _AGENT),
        otlp_span("a000000000000003", "a000000000000001", "litellm_request", 110, 1990, _request(1)),
        otlp_span("a000000000000005", "a000000000000001", "litellm_request", 3010, 4990, _request(1)),
    ]
    assert _totals(tmp_path, spans) == (1800, 80)
