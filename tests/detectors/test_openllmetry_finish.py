"""OpenLLMetry (Traceloop) writes each choice's finish reason as ``gen_ai.completion.<i>.finish_reason``
(opentelemetry-instrumentation-openai _set_response_attributes: f"{LLM_COMPLETIONS}.{index}.finish_reason").
A contract summary stopped at max_tokens (finish reason ``length``) and stored as the document's
summary lost its last clauses: context_overflow. Near miss: the same call finishing with ``stop``.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span


def _run(finish: str):
    attrs = {"llm.request.type": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.request.max_tokens": 1024,
             "gen_ai.completion.0.finish_reason": finish, "gen_ai.completion.0.role": "assistant"}
    return run(
        span("wf", 0, 40, kind="chain", name="contract_summary.workflow", output="done"),
        span("llm", 1, 38, parent_id="wf", kind="llm", name="openai.chat", model="gpt-4o-mini-2024-07-18",
             attributes=json.dumps(attrs), output="1. Term: 36 months ... 9. Liability: capped at the fees paid, except for"),
        span("save", 38.5, 39, parent_id="wf", kind="chain", name="save_summary.task", output="saved"),
    )


def test_an_indexed_completion_finish_reason_length_is_a_cut_output() -> None:
    assert one(_run("length"), "context_overflow")["decisive_span_id"] == "llm"


def test_near_miss_the_same_call_finished_normally() -> None:
    assert "context_overflow" not in detectors(_run("stop"))
