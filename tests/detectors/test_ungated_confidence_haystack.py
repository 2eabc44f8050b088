"""A Haystack pipeline that paid a claim its LLM adjudicator was unsure of: the router read only the decision.

deepset-ai/haystack ``haystack/core/pipeline/pipeline.py`` ``_run_component`` traces each component as
``haystack.component.run`` with the tags ``haystack.component.name`` (the name the pipeline gave it)
and ``haystack.component.type`` (its class), and with content tracing on its input and output
(``haystack/core/pipeline/base.py`` ``_COMPONENT_INPUT``/``_COMPONENT_OUTPUT``);
``haystack/tracing/opentelemetry.py`` writes the tags as attributes. The adjudicator is an
``OpenAIChatGenerator`` whose reply is the JSON it was asked for (``{"decision": ..., "confidence":
...}``, a string inside the replies); ``haystack/components/routers/conditional_router.py``
``ConditionalRouter.run`` sends its input down the first route whose Jinja condition holds (here
``{{ decision == 'approve' }}``: the confidence is never read); the payout is a custom component, a
``haystack.component.run`` like any other, named ``payout_writer`` by the pipeline. Exported with
the OpenTelemetry SDK's ConsoleSpanExporter (one JSON object a span).

Decisive: the router. Once it chose the payout branch the pipeline had no further decision to make.
The payout component, irreversible and approved by no one, is also ``unguarded_irreversible``'s (a
sure adjudication paid the same way is that rule's alone). Near misses: the sure adjudication; an
unsure one the router sent to a component that only reads (``lookup_policy``), with no payout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from sdk_spans import sdk_span

import forensics


def _span(i: int, name: str, attributes: dict[str, Any], parent: int | None = 0) -> dict[str, Any]:
    return sdk_span(i, name, attributes, parent, trace="ad" * 16, service="claims", day="2025-11-20T09:00")


def _component(i: int, name: str, type_: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return _span(i, "haystack.component.run", {
        "haystack.component.name": name, "haystack.component.type": type_,
        "haystack.component.input": json.dumps(inputs), "haystack.component.output": json.dumps(outputs),
    })


def _pipeline(tmp_path: Path, confidence: float, route: str) -> list[dict[str, Any]]:
    verdict = json.dumps({"claim_id": "CLM-7731", "decision": "approve", "confidence": confidence,
                          "reason": "Receipts match; the incident date is unclear."})
    reply = {"replies": [{"role": "assistant", "content": [{"text": verdict}],
                          "meta": {"model": "gpt-4o-2024-08-06", "finish_reason": "stop"}}]}
    routed = {route: {"claim_id": "CLM-7731", "amount": 1840.0}}
    last = (_component(4, "payout_writer", "PayoutWriter", {"claim": routed[route]},
                       {"payout_id": "po_5521", "status": "submitted", "rail": "ach"})
            if route == "approved" else
            _component(4, "lookup_policy", "PolicyLookup", {"claim": routed[route]}, {"policy": "HOME-22", "limit": 5000}))
    spans = [
        _span(0, "haystack.pipeline.run", {"haystack.pipeline.input_data": json.dumps({"prompt_builder": {"claim_id": "CLM-7731"}}),
                                           "haystack.pipeline.output_data": json.dumps({last["attributes"]["haystack.component.name"]: {}})},
              parent=None),
        _component(1, "prompt_builder", "ChatPromptBuilder", {"claim_id": "CLM-7731"}, {"prompt": "[2 messages]"}),
        _component(2, "adjudicator", "OpenAIChatGenerator", {"messages": "[2 messages]"}, reply),
        _component(3, "router", "ConditionalRouter", {"decision": "approve"}, routed),
        last,
    ]
    path = tmp_path / "claims.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(s) for s in spans) + b"\n")
    found = forensics.classify(forensics.load(path, format="otel-sdk-json").spans).findings
    return pl.DataFrame(pl.from_arrow(found)).to_dicts()


def test_an_unsure_adjudication_routed_to_the_payout_makes_the_router_decisive(tmp_path: Path) -> None:
    found = _pipeline(tmp_path, 0.38, "approved")
    (hit,) = [f for f in found if f["detector"] == "ungated_low_confidence"]
    assert hit["evidence_span_ids"] == ["0000000000000003", "0000000000000004", "0000000000000005"]
    assert hit["decisive_span_id"] == "0000000000000004"  # the router
    assert "payout_writer" in hit["explanation"] and "confidence 0.38" in hit["explanation"]
    # The payout itself, a component no person approved, is an unguarded irreversible act too: the
    # low-confidence rule named the router, not the payout.
    (paid,) = [f for f in found if f["detector"] == "unguarded_irreversible"]
    assert paid["decisive_span_id"] == "0000000000000005"


def test_near_miss_a_sure_adjudication_paid_the_same_way(tmp_path: Path) -> None:
    found = _pipeline(tmp_path, 0.94, "approved")
    assert {f["detector"] for f in found} == {"unguarded_irreversible"}


def test_near_miss_an_unsure_adjudication_sent_to_a_lookup_pays_nothing(tmp_path: Path) -> None:
    assert _pipeline(tmp_path, 0.38, "needs_review") == []


def test_near_miss_a_component_named_for_a_payout_that_only_previews_it(tmp_path: Path) -> None:
    # tools.read_only's `preview`: the component reads, whatever else its name says.
    found = _pipeline(tmp_path, 0.94, "approved")
    assert found  # the payout_writer pays: unguarded_irreversible
    path = tmp_path / "claims.jsonl"
    path.write_text(path.read_text().replace('"payout_writer"', '"payout_preview"'))
    assert pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path, format="otel-sdk-json").spans).findings)).is_empty()
