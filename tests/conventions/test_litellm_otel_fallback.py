"""A LiteLLM Router fallback recorded on OpenTelemetry spans is a fallback that worked.

LiteLLM's Router, when a deployment fails, calls the fallback model group with ``metadata``
``{"model_group": ..., "attempted_fallbacks": 1, "original_model_group": ...}`` (router_utils
``run_async_fallback``), and its OpenTelemetry logger sets each metadata key on the call's span as the
flat attribute ``metadata.<key>`` (litellm/integrations/opentelemetry.py ``set_attributes``). Two
deployments of one model name under one proxy request: the failing one followed by the one that
answered with ``metadata.attempted_fallbacks`` 1 is the declared fallback that worked (the fact
names it ``fallback``, with that call as its evidence), not a swallowed error. Near miss: the same
later call with ``attempted_fallbacks`` 0 is the same request sent again: a retry, no fallback.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from span_builder import detectors, run, span, spans

from forensics.detectors.base import prepare
from forensics.detectors.handling import failure_handling
from forensics.policy import resolve_policy


def _router(attempted: int) -> list[dict[str, Any]]:
    first = json.dumps({"metadata.model_group": "gpt-4o", "gen_ai.system": "azure"})
    then = json.dumps({"metadata.model_group": "gpt-4o-backup", "metadata.attempted_fallbacks": attempted,
                       "metadata.original_model_group": "gpt-4o", "gen_ai.system": "openai"})
    return [
        span("root", 0, 10, kind="agent", agent="support", name="support", input="What is the capital of France?",
             output="The capital of France is Paris."),
        span("p", 1, 4.2, parent_id="root", kind="unknown", name="Received Proxy Server Request"),
        span("a", 1.1, 2, parent_id="p", kind="llm", model="gpt-4o", name="litellm_request", attributes=first,
             status="error", error_type="litellm.RateLimitError", error_message="AzureException RateLimitError"),
        span("b", 3.1, 4, parent_id="p", kind="llm", model="gpt-4o", name="litellm_request", attributes=then,
             output="The capital of France is Paris."),
    ]  # fmt: skip


def _handled(attempted: int) -> tuple[str | None, str | None]:
    rows = _router(attempted)
    assert "swallowed_error" not in detectors(run(*rows))
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return {d["span_id"]: (d["handled_by"], d["handled_span_id"]) for d in failure_handling(ctx).to_dicts()}["a"]


def test_a_router_fallback_on_otel_spans_is_the_declared_fallback() -> None:
    assert _handled(1) == ("fallback", "b")


def test_near_miss_the_same_call_with_no_fallback_attempted_is_a_retry() -> None:
    assert _handled(0) == ("retry", "b")
