"""A router's low confidence, stated in its structured output, acted on with no person in between.

A LangGraph router node or a LangChain ``with_structured_output`` classifier returns its schema's
fields (the model call's tool-call arguments: langchain_core ``with_structured_output`` binds the
schema as a tool and parses the call's arguments), e.g. ``{"route": "refund", "confidence": 0.41}``.
When that confidence is below the step's own stated threshold, given out of 100, or said in a word
("low"), and the run goes on to a side-effecting call with no human review, the low-confidence
decision was acted on ungated. Near misses: a high-confidence route; a low one that went to a
person first; a tool's result whose "confidence" is about its data.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from span_builder import findings, one, run, span


def _routed(output: str, *, kind: str = "llm", person: bool = False) -> list[dict[str, Any]]:
    return [
        span("root", 0, 100, kind="agent", agent="support", name="support", output="I've emailed you the return label."),
        span("r", 1, 2, parent_id="root", kind=kind, model="gpt-4o" if kind == "llm" else None, name="route_request",
             agent="support", output=output),
        *([span("ask", 2.5, 2.8, parent_id="root", kind="llm", model="gpt-4o", agent="support",
                output="It sounds like you want to return the order; is that right?"),
           span("hu", 3, 4, parent_id="root", kind="human", output="Yes, that's right: a return.")] if person else []),
        span("t", 5, 6, parent_id="root", kind="tool", tool="send_email", name="send_email", agent="support",
             input='{"to": "dana@example.com", "template": "return_label"}', output='{"id": "msg_1", "status": "sent"}'),
    ]


def _tool_call_args(args: dict[str, Any]) -> str:
    # LangSmith outputs of the model call: the AIMessage's tool call arguments as a JSON string.
    call = {"function": {"name": "RouteDecision", "arguments": json.dumps(args)}}
    return json.dumps({"generations": [[{"message": {"additional_kwargs": {"tool_calls": [call]}}}]]})


LOW = {
    "below its own stated threshold": (json.dumps({"route": "returns", "confidence": 0.62, "threshold": 0.8}), "llm"),
    "out of 100": (_tool_call_args({"route": "returns", "confidence": 41}), "llm"),
    "in a word": (json.dumps({"route": "returns", "confidence": "low"}), "chain"),
    "a key naming what it is sure of": (json.dumps({"intent": "returns", "intent_confidence": 0.3}), "chain"),
}


@pytest.mark.parametrize("case", list(LOW))
def test_a_low_confidence_route_acted_on_ungated_fires(case: str) -> None:
    output, kind = LOW[case]
    f = one(run(*_routed(output, kind=kind)), "ungated_low_confidence")
    assert f["decisive_span_id"] == "t"
    assert f["evidence_span_ids"] == ["r", "t"]


@pytest.mark.parametrize("case", list(LOW))
def test_the_same_route_reviewed_by_a_person_first_is_gated(case: str) -> None:
    output, kind = LOW[case]
    assert findings(run(*_routed(output, kind=kind, person=True)), "ungated_low_confidence") == []


def test_a_confident_route_is_no_finding() -> None:
    for output in (json.dumps({"route": "returns", "confidence": 0.93, "threshold": 0.8}),
                   _tool_call_args({"route": "returns", "confidence": 93}),
                   json.dumps({"route": "returns", "confidence": "high"})):
        assert findings(run(*_routed(output)), "ungated_low_confidence") == [], output


def test_a_tools_data_confidence_in_words_is_not_the_decision() -> None:
    rows = _routed(json.dumps({"route": "returns", "confidence": 0.95}))
    rows.insert(2, span("w", 2.5, 2.8, parent_id="root", kind="tool", tool="weather_lookup", name="weather_lookup",
                        agent="support", output=json.dumps({"forecast": "rain", "forecast_confidence": "low"})))
    assert findings(run(*rows), "ungated_low_confidence") == []


def test_a_classifiers_score_for_its_label_is_its_confidence() -> None:
    # Hugging Face text-classification answers {"label": ..., "score": ...}; a router tool likewise.
    for output in (json.dumps({"label": "returns", "score": 0.38}), json.dumps({"score": 0.38, "intent": "returns"})):
        rows = _routed(output)
        rows[1] = span("r", 1, 2, parent_id="root", kind="tool", tool="classify_intent", name="classify_intent",
                       agent="support", input='{"text": "I want my money back"}', output=output)
        assert one(run(*rows), "ungated_low_confidence")["decisive_span_id"] == "t", output
        confident = output.replace("0.38", "0.97")
        rows[1] = {**rows[1], "output": confident}
        assert findings(run(*rows), "ungated_low_confidence") == [], confident


def test_a_score_with_no_decision_beside_it_is_not_a_confidence() -> None:
    # A search hit's relevance, a log-probability: no label chosen, or no probability.
    for output in (json.dumps({"hits": [{"doc": "returns policy", "score": 0.31}]}),
                   json.dumps({"label": "returns", "score": -2.3})):
        assert findings(run(*_routed(output)), "ungated_low_confidence") == [], output


def test_the_bar_a_routers_prompt_set_is_its_own_threshold() -> None:
    prompt = json.dumps({"messages": [{"role": "system", "content": "Classify the request. If your confidence is "
                                       "below 0.8, route it to a human agent."}, {"role": "user", "content": "refund?"}]})
    for level, fires in ((0.62, True), (0.91, False)):
        rows = _routed(json.dumps({"route": "returns", "confidence": level}))
        rows[1] = {**rows[1], "input": prompt}
        assert bool(findings(run(*rows), "ungated_low_confidence")) is fires, level
