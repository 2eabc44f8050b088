"""An offered tool's act claimed in its description's verb (forensics/detectors/claim_described.py).

smolagents ToolCallingAgent: a Tool's ``name`` and ``description`` class attributes
(src/smolagents/tools.py) become the model call's tool definitions (models.py
get_tool_json_schema: {"type": "function", "function": {"name", "description", "parameters"}}),
which the OpenInference instrumentation records on the model span as
``llm.tools.<i>.tool.json_schema`` (openinference-instrumentation-smolagents _wrappers.py
_llm_tools); the run span names the agent's tools (``smolagents.tools_names``). The agent answers
"I've e-mailed you the prepaid return label" without calling ``send_return_label``, described
"Emails the customer a prepaid return label ...". Near misses: the tool was called and succeeded;
the claim is about another object.
"""

from __future__ import annotations

import json

from span_builder import detectors, one, run, span

TOOLS = {
    "lookup_order": "Looks up an order by its id and returns its items, status and delivery date.",
    "send_return_label": "Emails the customer a prepaid return label for the given order.",
    "final_answer": "Provides a final answer to the given problem.",
}


def _schema(name: str, description: str) -> str:
    return json.dumps({"type": "function", "function": {"name": name, "description": description,
                       "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}})  # fmt: skip


def _model_attrs() -> str:
    return json.dumps({f"llm.tools.{i}.tool.json_schema": _schema(n, d) for i, (n, d) in enumerate(TOOLS.items())})


def _agent(answer: str, label_sent: bool = False):
    calls = [("lookup_order", {"order_id": "A-1042"}, '{"status": "delivered", "items": ["rain jacket"]}')]
    if label_sent:
        calls.append(("send_return_label", {"order_id": "A-1042"}, "Return label RL-88 e-mailed to dana@example.com"))
    rows = [
        span("root", 0, 20, kind="agent", name="ToolCallingAgent.run", input="I want to return my rain jacket from order A-1042.",
             output=answer, attributes=json.dumps({"smolagents.tools_names": list(TOOLS)})),
    ]  # fmt: skip
    t = 1.0
    for i, (name, args, out) in enumerate([*calls, ("final_answer", {"answer": answer}, answer)]):
        rows.append(span(f"m{i}", t, t + 1, parent_id="root", kind="llm", model="gpt-4o", attributes=_model_attrs(),
                         output=json.dumps({"tool_calls": [{"function": {"name": name, "arguments": args}}]})))  # fmt: skip
        rows.append(span(f"t{i}", t + 1, t + 1.5, parent_id="root", kind="tool", tool=name, input=json.dumps(args), output=out))
        t += 2
    return run(*rows)


CLAIM = "Your return is set up: I've e-mailed you the prepaid return label for order A-1042."


def test_the_description_verb_claims_the_offered_tools_act() -> None:
    f = one(_agent(CLAIM), "claimed_but_not_done")
    assert "e-mailed you the prepaid return label" in f["explanation"]
    assert "send_return_label" in f["explanation"]


def test_near_miss_the_label_tool_was_called() -> None:
    assert "claimed_but_not_done" not in detectors(_agent(CLAIM, label_sent=True))


def test_near_miss_another_object_emailed() -> None:
    said = "I've e-mailed you a copy of the order summary for A-1042; the return window is 30 days."
    assert "claimed_but_not_done" not in detectors(_agent(said))
